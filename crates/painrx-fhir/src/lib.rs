//! painrx FHIR mapping (being built: see issue 5).
