//! Crude streaming HTML to text for search and previews: tags become a space, the contents of
//! `<style>` and `<script>` are dropped, common entities and numeric character references are
//! decoded. Not a parser: comments end at the first `>`, attributes are not read. State is a few
//! short strings, so text can arrive in any pieces.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Text,
    TagName,
    Tag,
    Entity,
}

#[derive(Debug, Default)]
pub(crate) struct Html {
    state: State,
    tag: String,
    entity: String,
    /// Inside `<style>` or `<script>`: the closing tag name to wait for.
    skip: Option<&'static str>,
}

const MAX_NAME: usize = 16;

impl Html {
    pub(crate) fn strip(&mut self, s: &str, out: &mut String) {
        for ch in s.chars() {
            self.char(ch, out);
        }
    }

    fn char(&mut self, ch: char, out: &mut String) {
        match self.state {
            State::Text => match ch {
                '<' => {
                    self.state = State::TagName;
                    self.tag.clear();
                    if self.skip.is_none() {
                        out.push(' ');
                    }
                }
                '&' if self.skip.is_none() => {
                    self.state = State::Entity;
                    self.entity.clear();
                }
                c if self.skip.is_none() => out.push(c),
                _ => {}
            },
            State::TagName => {
                if ch == '>' || ch.is_whitespace() {
                    self.tag_done();
                    self.state = if ch == '>' { State::Text } else { State::Tag };
                } else if self.tag.len() < MAX_NAME {
                    self.tag.extend(ch.to_lowercase());
                    if self
                        .skip
                        .is_some_and(|end| !end.starts_with(self.tag.as_str()))
                    {
                        // Inside a script or style only its closing tag counts.
                        self.state = State::Text;
                    }
                }
            }
            State::Tag => {
                if ch == '>' {
                    self.state = State::Text;
                }
            }
            State::Entity => {
                if ch == ';' {
                    self.state = State::Text;
                    entity(&self.entity, out);
                } else if (ch.is_ascii_alphanumeric() || ch == '#') && self.entity.len() < 10 {
                    self.entity.push(ch);
                } else {
                    // Not an entity: keep it as written.
                    self.state = State::Text;
                    out.push('&');
                    out.push_str(&self.entity);
                    self.char(ch, out);
                }
            }
        }
    }

    fn tag_done(&mut self) {
        match (self.skip, self.tag.as_str()) {
            (None, "style") => self.skip = Some("/style"),
            (None, "script") => self.skip = Some("/script"),
            (Some(end), t) if t == end => self.skip = None,
            _ => {}
        }
    }
}

fn entity(name: &str, out: &mut String) {
    let c = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => name.strip_prefix('#').and_then(|n| {
            let v = match n.strip_prefix(['x', 'X']) {
                Some(h) => u32::from_str_radix(h, 16).ok(),
                None => n.parse().ok(),
            };
            v.and_then(char::from_u32)
        }),
    };
    match c {
        Some(c) => out.push(c),
        None => {
            out.push('&');
            out.push_str(name);
            out.push(';');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let table: &[(&str, &str)] = &[
            ("<p>a<b>b</b></p>", " a b  "),
            ("x<style>p { color: red }</style>y", "x y"),
            ("<SCRIPT type=x>if (a<b) {}</SCRIPT>z", " z"),
            (
                "a&amp;b &lt;&#233;&#xE9;&nbsp;&bogus; & c",
                "a&b <\u{e9}\u{e9} &bogus; & c",
            ),
            ("<!-- c -->t", " t"),
        ];
        for (input, want) in table {
            for step in [1, 2, 5, 100] {
                let mut h = Html::default();
                let mut out = String::new();
                let chars: Vec<char> = input.chars().collect();
                for piece in chars.chunks(step) {
                    h.strip(&piece.iter().collect::<String>(), &mut out);
                }
                assert_eq!(&out, want, "{input} step {step}");
            }
        }
    }
}
