"""What differs between environments, or between the working tree and a git ref."""
