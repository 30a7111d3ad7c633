"""The course's lessons: one folder per lesson, `lesson1/`, `lesson2/`, `lesson3/`, with its
models, data prep and reference homework solution. Each folder's `__init__` says which file
to read first.

A lesson imports only `practicum.data`, `practicum.train` and the student-facing parts of
`practicum.coursework` (exercise checks, quizzes, smoke-mode sizing); the course machinery
(the homework-reference registry, grading) imports the lessons, never the other way round.
"""
