//! ferrovm-linux (under construction)
