"""The course service's operations, shared by the web routes and the CLI: publishing
homework, taking submissions, building leaderboards. Routes and commands only translate."""
