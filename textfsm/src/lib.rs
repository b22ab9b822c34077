//! TextFSM for naas: parses command output into records with TextFSM templates, the
//! template language of Google's `textfsm` that the ntc-templates collection is written
//! in, and picks the template for a platform and command from a templates directory's
//! `index` as `textfsm`'s clitable does.
//!
//! Behaviour follows the reference implementation (checked against it on the ntc-templates
//! this project uses): the same template grammar and errors, Python `re` patterns (with
//! lookarounds, see `pyre`), value options `Filldown`, `Fillup`, `Key`, `List` (with
//! nested named groups), `Required`, actions `Next`/`Continue`/`Error` and
//! `Record`/`NoRecord`/`Clear`/`Clearall`, states `End` and `EOF`, and the implicit record
//! at the end of the input. Records come out as ntc-templates' `parse_output` returns
//! them: objects keyed by the lower-cased value name, `List` values as arrays (an item whose
//! optional group did not take part is the text `"None"`, as clitable's `str()` makes it;
//! an item of nested named groups stays an object, where clitable writes the dictionary's
//! Python text).
//!
//! Used by the API (a caller's own template is compiled at submission, so a broken one is a
//! 422) and by the worker (parsing after the commands ran).

mod fsm;
mod index;
mod pyre;
mod template;

pub use fsm::{Cell, Item, ParseError, Table};
pub use index::{IndexError, Library, LookupError};
pub use pyre::PatternError;
pub use template::{Template, TemplateError};
