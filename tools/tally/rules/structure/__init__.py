"""Structure (ST): a model's name, its folder and its layer agree; YAML sits beside what it describes."""
