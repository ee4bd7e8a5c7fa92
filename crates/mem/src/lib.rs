//! ferrovm-mem (under construction)
