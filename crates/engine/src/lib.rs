//! ferrovm-engine (under construction)
