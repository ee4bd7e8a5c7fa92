//! ferrovm-interp (under construction)
