#!/usr/bin/env python3
"""Validates results.json files against docs/results.schema.json (python3-jsonschema)."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
for path in sys.argv[2:]:
    jsonschema.validate(json.load(open(path)), schema)
    print(f"{path}: valid")
