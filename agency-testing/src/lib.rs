//! A scriptable fake OpenAI server for tests.
