"""Running untrusted code: one system user per student, a namespace sandbox around each
process (bubblewrap), the devices it may touch, and its memory and CPU limits.

Pure pieces (names, mount lists, limit arithmetic) are plain functions; the few that act
on the machine (useradd, cgroup files) are small and need root, which is what a course's
own box gives the hub.
"""
