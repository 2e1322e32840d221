"""One router per resource. Routes are thin: parse, call store, shape with a schema."""
