"""The lesson machinery: what the lessons and their notebooks run on, but no lesson itself.

Student-facing (lessons and notebooks import these):

- `exercise`: checks for the notebooks' exercises, falling back to the reference (found by
  the exercise's id in `exercise.EXERCISES`), recording each outcome, and the summary
  that ends a notebook;
- `quiz`: quizzes at the end of the concept sections (shuffled choices, all answers
  checked at once, a few tries), and the sections they open;
- `progress`: the student's progress.json (quizzes and exercises), merged and atomic;
- `common`: smoke-mode sizing, subsampling, image grids.

Course side (lessons never import these):

- `homework`: the homework-reference contract (data, solve, writer, metric);
- `registry`: every lesson's homework reference, run the same way
  (`practicum lesson homework N`); it imports the lessons and `practicum.grading`.
- `withheld`: which references a course has not released yet, and the stubs that stand
  in for them in the students' sandboxes.
"""
