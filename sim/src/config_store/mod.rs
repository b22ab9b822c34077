//! A device's running configuration: top-level lines and sections (`interface X` with
//! indented children), kept in display order and shared by all sessions of the device.
//! Junos statements are top-level lines without the `set`. Changes are [`Edit`]s, applied
//! at once or staged in a candidate until commit.

/// First words of top-level lines that always open a block in the display.
const BLOCK_WORDS: &[&str] = &["interface", "router", "line", "vlan"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Section {
    pub header: String,
    pub children: Vec<String>,
}

impl Section {
    fn is_block(&self) -> bool {
        !self.children.is_empty() || BLOCK_WORDS.contains(&first_word(&self.header))
    }
}

/// How a platform writes its configuration.
#[derive(Debug)]
pub(crate) struct ConfigStyle {
    /// The line prefix that sets the hostname: `hostname` or `system host-name`.
    pub hostname: &'static str,
    /// The hostname after `no hostname`.
    pub default_host: &'static str,
    /// Before each child line.
    pub indent: &'static str,
    /// Between blocks (and at the end unless empty): `!` on IOS, an empty line on NX-OS.
    pub separator: &'static str,
    /// Line prefixes that hold one value: setting one replaces the previous line. A `*`
    /// word matches any word (`interfaces * description`).
    pub singletons: &'static [&'static str],
}

#[derive(Clone, Debug)]
pub(crate) struct RunningConfig {
    hostname: String,
    sections: Vec<Section>,
    style: &'static ConfigStyle,
}

/// One change to a configuration.
#[derive(Clone, Debug)]
pub(crate) enum Edit {
    Section(String),
    Global(String),
    Child(String, String),
    RemoveGlobal(String),
    RemoveChild(String, String),
    /// Replaces everything (Junos `rollback n`).
    Replace(Box<RunningConfig>),
}

/// One interface as `show ip interface brief` and `show interfaces` need it.
pub(crate) struct InterfaceView<'a> {
    pub name: &'a str,
    pub address: Option<&'a str>,
    pub shutdown: bool,
    /// Its configuration lines (`description …`, `ip address …`).
    pub lines: &'a [String],
}

fn first_word(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or("")
}

/// `line` is `prefix` or starts with `prefix` followed by a space.
fn has_prefix(line: &str, prefix: &str) -> bool {
    line.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

fn block_rank(header: &str) -> u8 {
    match first_word(header) {
        "vlan" => 1,
        "interface" => 2,
        "router" => 3,
        "line" => 5,
        _ => 4,
    }
}

impl RunningConfig {
    pub fn empty(style: &'static ConfigStyle) -> Self {
        Self { hostname: String::new(), sections: Vec::new(), style }
    }

    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    fn note_hostname(&mut self, line: &str) {
        if let Some(name) = line.strip_prefix(self.style.hostname).and_then(|rest| rest.strip_prefix(' ')) {
            self.hostname = name.trim().trim_matches('"').to_owned();
        }
    }

    /// Appends a section as is (for building a baseline in display order).
    pub fn push(&mut self, header: &str, children: &[&str]) {
        self.note_hostname(header);
        self.sections
            .push(Section { header: header.to_owned(), children: children.iter().map(|c| (*c).to_owned()).collect() });
    }

    /// The words of `line` that a singleton pattern covers (`interfaces ge-0/0/0
    /// description` for `interfaces * description`), the longest pattern winning.
    fn singleton_key(&self, line: &str) -> Option<String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        self.style
            .singletons
            .iter()
            .map(|k| k.split_whitespace().collect::<Vec<_>>())
            .filter(|k| k.len() <= words.len() && k.iter().zip(&words).all(|(p, w)| *p == "*" || p == w))
            .max_by_key(Vec::len)
            .map(|k| words[..k.len()].join(" "))
    }

    pub fn apply(&mut self, edit: &Edit) {
        match edit {
            Edit::Section(header) => self.enter_section(header),
            Edit::Global(line) => self.set_global(line),
            Edit::Child(header, line) => self.set_child(header, line),
            Edit::RemoveGlobal(prefix) => self.remove_global(prefix),
            Edit::RemoveChild(header, prefix) => self.remove_child(header, prefix),
            Edit::Replace(config) => *self = (**config).clone(),
        }
    }

    /// Sets a top-level line such as `ntp server 192.0.2.1` or `hostname r9`.
    pub fn set_global(&mut self, line: &str) {
        self.note_hostname(line);
        if self.sections.iter().any(|s| s.header == line) {
            return;
        }
        if let Some(key) = self.singleton_key(line)
            && let Some(existing) =
                self.sections.iter_mut().find(|s| s.children.is_empty() && has_prefix(&s.header, &key))
        {
            existing.header = line.to_owned();
            return;
        }
        self.sections.retain(|s| !s.header.strip_prefix("no ").is_some_and(|negated| has_prefix(line, negated)));
        let word = first_word(line);
        let position = self
            .sections
            .iter()
            .rposition(|s| !s.is_block() && first_word(&s.header) == word)
            .map(|i| i + 1)
            .or_else(|| self.sections.iter().position(Section::is_block))
            .unwrap_or(self.sections.len());
        self.sections.insert(position, Section { header: line.to_owned(), children: Vec::new() });
    }

    /// Removes top-level lines and sections that start with `prefix` (`no ...`).
    pub fn remove_global(&mut self, prefix: &str) {
        if prefix == self.style.hostname {
            self.set_global(&format!("{prefix} {}", self.style.default_host));
            return;
        }
        self.sections.retain(|s| !has_prefix(&s.header, prefix));
    }

    /// Makes sure a section exists, e.g. `interface Loopback7`.
    pub fn enter_section(&mut self, header: &str) {
        if self.sections.iter().any(|s| s.header == header) {
            return;
        }
        let word = first_word(header);
        let rank = block_rank(header);
        let position = self
            .sections
            .iter()
            .rposition(|s| s.is_block() && first_word(&s.header) == word)
            .map(|i| i + 1)
            .or_else(|| self.sections.iter().position(|s| s.is_block() && block_rank(&s.header) > rank))
            .unwrap_or(self.sections.len());
        self.sections.insert(position, Section { header: header.to_owned(), children: Vec::new() });
    }

    fn section_mut(&mut self, header: &str) -> &mut Section {
        self.enter_section(header);
        let index = self.sections.iter().position(|s| s.header == header).unwrap_or_default();
        &mut self.sections[index]
    }

    /// Sets a line inside a section (`description uplink` under `interface X`).
    pub fn set_child(&mut self, header: &str, line: &str) {
        let key = self.singleton_key(line);
        let section = self.section_mut(header);
        if section.children.iter().any(|c| c == line) {
            return;
        }
        if let Some(key) = key
            && let Some(existing) = section.children.iter_mut().find(|c| has_prefix(c, &key))
        {
            *existing = line.to_owned();
            return;
        }
        section.children.retain(|c| !c.strip_prefix("no ").is_some_and(|negated| has_prefix(line, negated)));
        section.children.push(line.to_owned());
    }

    /// Removes lines inside a section that start with `prefix`.
    pub fn remove_child(&mut self, header: &str, prefix: &str) {
        self.section_mut(header).children.retain(|c| !has_prefix(c, prefix));
    }

    /// The configuration as displayed, without the `Building configuration...` preamble
    /// and the final `end`: sections separated by `!` (or the style's separator),
    /// children indented.
    pub fn lines(&self) -> Vec<String> {
        let (separator, indent) = (self.style.separator, self.style.indent);
        let mut out = Vec::new();
        let mut previous: Option<&Section> = None;
        for section in &self.sections {
            let separate = match previous {
                None => !separator.is_empty(),
                Some(p) => section.is_block() || p.is_block() || first_word(&p.header) != first_word(&section.header),
            };
            if separate {
                out.push(separator.to_owned());
            }
            out.push(section.header.clone());
            out.extend(section.children.iter().map(|c| format!("{indent}{c}")));
            previous = Some(section);
        }
        if !separator.is_empty() {
            out.push(separator.to_owned());
        }
        out
    }

    /// The uncommitted `edits` as a configuration of their own (removals as `no ...`
    /// lines), for showing what a commit would change.
    pub fn from_changes(style: &'static ConfigStyle, edits: &[Edit]) -> Self {
        let mut changes = Self::empty(style);
        for edit in edits {
            match edit {
                Edit::RemoveGlobal(prefix) => changes.set_global(&format!("no {prefix}")),
                Edit::RemoveChild(header, prefix) => changes.set_child(header, &format!("no {prefix}")),
                Edit::Replace(config) => changes = (**config).clone(),
                other => changes.apply(other),
            }
        }
        changes
    }

    pub fn style(&self) -> &'static ConfigStyle {
        self.style
    }

    /// Top-level lines only (Junos statements), in order.
    pub fn statements(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|s| s.header.as_str())
    }

    /// Every section: header and children (for rendering other layouts).
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    pub fn interfaces(&self) -> Vec<InterfaceView<'_>> {
        self.sections
            .iter()
            .filter_map(|s| {
                let name = s.header.strip_prefix("interface ")?;
                let address = s.children.iter().find_map(|c| {
                    c.strip_prefix("ip address ").or_else(|| c.strip_prefix("ipv4 address "))?.split_whitespace().next()
                });
                let shutdown = s.children.iter().any(|c| c == "shutdown");
                Some(InterfaceView { name, address, shutdown, lines: &s.children })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
