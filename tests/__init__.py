"""System tests of the repository: the compose stack, the image, the README commands."""
