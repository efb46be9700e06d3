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
pub mod list;
pub mod range;
pub mod renal;
pub mod schedule;
pub mod screen;
/// Dates and clock times: `painrx_kb::time`, the one parser of each.
/// Typed ids: `painrx_kb::id`, one parser of each kind.
pub use painrx_kb::id;
pub use painrx_kb::time;
pub mod units;
pub mod words;
