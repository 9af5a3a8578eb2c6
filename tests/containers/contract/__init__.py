"""The container contract suite, one small project per variant of DESIGN.md's table."""
