//! painrx clinical logic over the knowledge base.
//!
//! Architecture Invariant: this crate performs no IO, holds no drug facts (numbers come from
//! `painrx-kb` monographs) and cannot panic: unwrap, expect, panic and indexing are denied.

pub mod ansm;
pub mod assess;
pub mod check;
pub mod diary;
pub mod dose;
pub mod equiv;
pub mod infusion;
pub mod range;
pub mod renal;
pub mod schedule;
pub mod screen;
pub mod units;
pub mod words;
