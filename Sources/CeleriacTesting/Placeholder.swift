// In-memory fakes for unit tests; filled in by the worker test suite.
