//! ferrovm-ir (under construction)
