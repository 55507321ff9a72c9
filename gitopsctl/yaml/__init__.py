"""Reading YAML with positions (libyaml through PyYAML) and writing it safely."""
