//! painrx persistence (being built: see issue 5).
