"""The course's lessons: one module per lesson with its models, data prep and helpers."""
