//! The terminal, as a value: stdout for results, stderr for progress and errors, and the
//! no-echo prompt when there is someone to ask. Tests use [`Console::captured`].
//!
//! The prompt is `rpassword`'s: question and answer go through `/dev/tty`, not
//! stdin/stdout, so `naasctl run … > out.txt` still asks on the screen and never writes the
//! question into the output. Echo and signal keys are off for the one answer and restored
//! on every path: Ctrl-C ends the prompt with [`std::io::ErrorKind::Interrupted`] after the
//! terminal is restored. (rpassword then raises SIGINT; [`crate::run`] listens for it from
//! the start, so the signal does not kill the process with echo still off.)

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

type Sink = Arc<Mutex<Box<dyn Write + Send>>>;
type PromptFn = Arc<dyn Fn(&str) -> std::io::Result<String> + Send + Sync>;

/// Where output goes. Cheap to clone: fan-out tasks each hold one.
#[derive(Clone)]
pub struct Console {
    out: Sink,
    err: Sink,
    /// stderr is a terminal: progress is drawn in place (spinner, bar) rather than logged.
    err_is_terminal: bool,
    prompt: Option<PromptFn>,
}

impl Console {
    /// The process's stdout and stderr; prompts on the controlling terminal when stdin is
    /// one (a script or a pipe gets an error asking for the environment instead).
    pub fn standard() -> Self {
        let prompt: Option<PromptFn> = if std::io::stdin().is_terminal() {
            Some(Arc::new(|question: &str| rpassword::prompt_password(question)))
        } else {
            None
        };
        Self {
            out: Arc::new(Mutex::new(Box::new(std::io::stdout()))),
            err: Arc::new(Mutex::new(Box::new(std::io::stderr()))),
            err_is_terminal: std::io::stderr().is_terminal(),
            prompt,
        }
    }

    /// A console writing into memory, not a terminal, with nobody to prompt.
    pub fn captured() -> (Self, Captured) {
        let captured = Captured::default();
        let console = Self {
            out: Arc::new(Mutex::new(Box::new(Buffer(captured.out.clone())))),
            err: Arc::new(Mutex::new(Box::new(Buffer(captured.err.clone())))),
            err_is_terminal: false,
            prompt: None,
        };
        (console, captured)
    }

    /// The same console, answering prompts with `answer` (tests of the prompt path).
    pub fn with_prompt(mut self, answer: impl Fn(&str) -> std::io::Result<String> + Send + Sync + 'static) -> Self {
        self.prompt = Some(Arc::new(answer));
        self
    }

    pub fn out(&self, text: &str) {
        let mut out = self.out.lock().expect("stdout lock");
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    pub fn err(&self, text: &str) {
        let mut err = self.err.lock().expect("stderr lock");
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }

    pub fn err_is_terminal(&self) -> bool {
        self.err_is_terminal
    }

    /// Asks for a secret without echo; `None` when nobody can be asked.
    pub fn prompt(&self, question: &str) -> Option<std::io::Result<String>> {
        self.prompt.as_ref().map(|ask| ask(question))
    }
}

/// What a captured console has received so far.
#[derive(Clone, Default)]
pub struct Captured {
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
}

impl Captured {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().expect("buffer lock")).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().expect("buffer lock")).into_owned()
    }
}

struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
