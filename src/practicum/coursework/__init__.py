"""The lesson machinery: what the lessons and their notebooks run on, but no lesson itself.

Student-facing (lessons and notebooks import these):

- `exercise`: checks for the notebooks' exercises, falling back to the reference;
- `quiz`: quizzes at the end of the concept sections, and the progress they record;
- `common`: smoke-mode sizing, subsampling, image grids.

Course side (lessons never import these):

- `homework`: the homework-reference contract (data, solve, writer, metric);
- `registry`: every lesson's homework reference, run the same way
  (`practicum lesson homework N`); it imports the lessons and `practicum.grading`.
"""
