"""Submission formats and metrics; pure functions shared by homework references and scoring."""
