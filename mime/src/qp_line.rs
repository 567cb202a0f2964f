//! One encoded quoted-printable line, and what the lines tell about the encoder: the parser,
//! per folding rule of [`crate::qp_encode`] the range of line lengths that reproduces every
//! line seen so far ([`Folds`]), and the byte rules the lines agree on ([`Bytes`]).
//!
//! The folding rules: `lookahead` (whether the last character of a decoded line may use the
//! column of a `=` it does not need) × `word_wrap` (fold after the line's last space or tab) ×
//! `lf_break` (a soft break after each escaped LF inside a decoded line) × `overhang` (an
//! escape fits when its first column does) × `space_hangs` (with word wrap, a space needs no
//! room for the `=` after it); word wrap with overhang is not tracked. A line of `L`
//! characters needs `line_len >= L` (`L + 1` for a hard line without lookahead; less with
//! overhang or a hanging space); a soft break needs the text after it not to fit: the next
//! character (with word wrap after a space, the next word up to and including its space) plus
//! the `=` it would need, added to the line, exceeds `line_len`. Each constraint narrows
//! `lo..=hi`; a rule whose range empties is dead.
//!
//! The byte rules (`trailing_ws`, `escape`) are sets: the bytes seen literal, seen escaped,
//! seen escaped at the end of a decoded line; a byte in both the first and the escape set
//! ends the run.

use eider_model::QpLayout;

/// Longest encoded line accepted, line ending excluded (RFC 5322 §2.1.1 allows 998; RFC 2045
/// §6.7 rule 5 asks for 76).
pub(super) const MAX_LINE: usize = 998;

/// Line length preferred when several fit (RFC 2045 §6.7 rule 5).
const PREFERRED: u32 = 76;

/// What one canonical encoded line holds.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct LineInfo {
    /// Encoded characters, soft-break `=` included, line ending excluded.
    pub len: u32,
    /// Ends with a soft break.
    pub soft: bool,
    /// Tokens (characters or escapes).
    pub tokens: u32,
    /// Width of the first and of the last token (1 or 3).
    pub first: u32,
    /// The first token is a literal space or tab.
    pub first_ws: bool,
    pub last: u32,
    /// Width of the tokens up to and including the first literal space or tab (all of them
    /// when there is none): the word a word-wrapping encoder would have moved here.
    pub word: u32,
    /// The token ending `word` is the line's last.
    pub word_last: bool,
    /// The line holds a literal space or tab; its last token is one.
    pub has_ws: bool,
    pub ends_ws: bool,
    /// An escaped LF is followed by more on the same encoded line; the last token is one.
    pub lf_inside: bool,
    pub ends_lf: bool,
    /// The last token is an escaped space or tab (the end of a decoded line).
    pub ends_ws_escaped: bool,
    /// Printable bytes (33..=126 but `=`) written as they are, and escaped, on this line.
    pub literal: u128,
    pub escaped: u128,
    /// The decoded line ends here with a space or tab: written as it is (`Some(true)`) or
    /// escaped.
    pub trailing: Option<bool>,
    /// The escaped space or tab ending the decoded line.
    pub trailing_byte: u8,
    /// Trailing whitespace is escaped by rule 3 (not written as it is): set on an empty line
    /// after a soft break, which only a word-wrapping encoder writes, after a trailing space
    /// whose escape did not fit.
    pub rule3: bool,
}

/// The byte rules of layout version 2 (`QpLayout::trailing_ws`, `QpLayout::escape`) that the
/// lines seen so far allow: a byte is escaped everywhere or nowhere, and trailing whitespace
/// is written as it is everywhere or nowhere. An escaped trailing space or tab is escaped by
/// rule 3 or because the layout escapes it everywhere: once any trailing whitespace was seen
/// as it is, only the latter.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Bytes {
    /// Bytes seen as they are, and escaped, other than at the end of a decoded line.
    literal: u128,
    escaped: u128,
    /// Space and tab seen escaped at the end of a decoded line.
    trail_escaped: u128,
    /// Trailing whitespace seen as it is.
    trail_literal: bool,
    /// Trailing whitespace known to be escaped by rule 3 (see `LineInfo::rule3`).
    rule3: bool,
}

impl Bytes {
    /// The rules once `line` is added, if they still agree.
    pub(super) fn with_line(self, line: &LineInfo) -> Option<Self> {
        let mut b = self;
        b.literal |= line.literal;
        b.escaped |= line.escaped;
        match line.trailing {
            Some(true) => b.trail_literal = true,
            Some(false) => b.trail_escaped |= 1u128 << line.trailing_byte,
            None => {}
        }
        b.rule3 |= line.rule3;
        let agree = b.escape() & b.literal == 0 && !(b.rule3 && b.trail_literal);
        agree.then_some(b)
    }

    /// The bytes the layout escapes needlessly (`QpLayout::escape`).
    pub(super) fn escape(&self) -> u128 {
        self.escaped
            | if self.trail_literal {
                self.trail_escaped
            } else {
                0
            }
    }

    /// Whether the layout escapes space or tab everywhere (not tracked with word wrap).
    pub(super) fn escapes_ws(&self) -> bool {
        self.escape() & ((1u128 << b' ') | (1u128 << b'\t')) != 0
    }

    pub(super) fn trailing_ws(&self) -> bool {
        self.trail_literal
    }
}

/// Parses one encoded line (line ending removed) if it is canonical, appending its decoded
/// bytes (and CRLF for a hard break) to `dec`. `eol`: a line ending follows; otherwise this is
/// the body's last line. `cr` carries the escaped-CR state across soft breaks: an escaped LF
/// right after an escaped CR would decode to a CRLF that the encoder writes as a hard break.
pub(super) fn parse(
    content: &[u8],
    eol: bool,
    cr: &mut bool,
    dec: &mut Vec<u8>,
) -> Result<LineInfo, ()> {
    if content.len() > MAX_LINE {
        return Err(());
    }
    // A final `=` cannot belong to an escape (`=` is not a hex digit): it is a soft break.
    let soft = content.last() == Some(&b'=');
    if soft && !eol {
        return Err(());
    }
    let body = if soft {
        &content[..content.len() - 1]
    } else {
        content
    };
    let mut info = LineInfo {
        len: content.len() as u32,
        soft,
        ..LineInfo::default()
    };
    let mut word_done = false;
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        let (b, width) = if c == b'=' {
            let (Some(&h), Some(&l)) = (body.get(i + 1), body.get(i + 2)) else {
                return Err(());
            };
            ((hex(h)? << 4) | hex(l)?, 3)
        } else {
            (c, 1)
        };
        let last = i + width == body.len();
        let ws = b == b' ' || b == b'\t';
        let literal = width == 1;
        // RFC 2045 §6.7 rules 2 and 3: whitespace is escaped only at the end of a decoded
        // line (last on a line not ended by a soft break), where some encoders leave it as
        // it is; a printable byte may be escaped needlessly (the layout's `escape` set).
        if ws && !soft && last && !literal {
            // Escaped by rule 3 or because the layout escapes that byte everywhere.
            info.trailing = Some(false);
            info.trailing_byte = b;
        } else if ws || crate::qp_encode::is_literal(b) {
            if ws && !soft && last {
                info.trailing = Some(true);
            }
            let bit = 1u128 << b;
            if literal {
                info.literal |= bit;
            } else {
                info.escaped |= bit;
            }
        } else if literal {
            return Err(());
        }
        if *cr && b == b'\n' {
            return Err(());
        }
        *cr = b == b'\r';
        dec.push(b);
        if info.tokens == 0 {
            info.first = width as u32;
            info.first_ws = ws && literal;
        }
        info.tokens += 1;
        info.last = width as u32;
        if !word_done {
            info.word += width as u32;
            info.word_last = last;
            word_done = ws && literal;
        }
        info.has_ws |= ws && literal;
        info.ends_ws = ws && literal;
        info.ends_ws_escaped = ws && !literal;
        info.lf_inside |= b == b'\n' && !last;
        info.ends_lf = b == b'\n';
        i += width;
    }
    if soft && info.tokens == 0 {
        return Err(());
    }
    if !soft && eol {
        dec.extend_from_slice(b"\r\n");
        *cr = false;
    }
    Ok(info)
}

/// Upper-case hex digit (lower case is legal QP but not what the encoder writes).
fn hex(c: u8) -> Result<u8, ()> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(()),
    }
}

/// One folding rule and the line lengths still consistent with it.
#[derive(Clone, Copy, Debug)]
struct Fold {
    lookahead: bool,
    word_wrap: bool,
    lf_break: bool,
    overhang: bool,
    space_hangs: bool,
    alive: bool,
    lo: u32,
    hi: u32,
}

impl Fold {
    fn narrow(&mut self, lo: u32, hi: u32) {
        self.lo = self.lo.max(lo);
        self.hi = self.hi.min(hi);
        self.alive &= self.lo <= self.hi;
    }
}

/// Every folding rule, in order of preference.
#[derive(Clone, Copy, Debug)]
pub(super) struct Folds([Fold; 32]);

impl Folds {
    pub(super) fn new() -> Self {
        let mut rules = [Fold {
            lookahead: true,
            word_wrap: false,
            lf_break: false,
            overhang: false,
            space_hangs: false,
            alive: true,
            lo: 4,
            hi: u32::MAX,
        }; 32];
        for (i, f) in rules.iter_mut().enumerate() {
            f.lookahead = i & 1 == 0;
            f.word_wrap = i & 2 != 0;
            f.lf_break = i & 4 != 0;
            f.overhang = i & 8 != 0;
            f.space_hangs = i & 16 != 0;
            // Not tracked: where a word-wrapping encoder with overhang folds. Hanging spaces
            // are a word-wrap rule.
            f.alive = !(f.overhang && f.word_wrap) && (f.word_wrap || !f.space_hangs);
            f.alive &= !(f.overhang && f.space_hangs);
        }
        Folds(rules)
    }

    fn any(self) -> Option<Self> {
        self.0.iter().any(|f| f.alive).then_some(self)
    }

    /// The rules that can write `line` (within its length).
    pub(super) fn with_line(mut self, line: &LineInfo) -> Option<Self> {
        for f in &mut self.0 {
            let mut need = line.len + u32::from(!line.soft && !f.lookahead);
            if f.overhang && line.tokens > 0 {
                // Only the last token's first column (and the `=` after it) had to fit.
                need = need + 1 - line.last;
            }
            if f.space_hangs && line.ends_ws {
                // A last space needs only its own column, the character before it one more.
                need = line.len - u32::from(line.soft);
            }
            f.narrow(need, u32::MAX);
            // An escaped LF inside a decoded line is followed by a soft break.
            f.alive &= !(f.lf_break && line.lf_inside);
        }
        self.any()
    }

    /// The rules that put a soft break at the end of `held`, given the line after it; and
    /// whether that depends on `next`'s own soft break being where the encoder puts it (checked
    /// against the line after `next`; until then `next` cannot end a run).
    pub(super) fn with_break(mut self, held: &LineInfo, next: &LineInfo) -> Option<(Self, bool)> {
        let mut relies = false;
        for f in &mut self.0 {
            // The shortest line length that fits `held` (see `with_line`).
            let lo = if f.overhang {
                held.len + 1 - held.last
            } else if f.space_hangs && held.ends_ws {
                held.len - 1
            } else {
                held.len
            };
            if next.tokens == 0 {
                // An empty line after a soft break: only a word-wrapping encoder's trailing
                // space that did not fit escaped (`=20` and, without lookahead, `=`, after
                // the `held.len - 2` characters before the space).
                if f.word_wrap && !f.space_hangs && held.ends_ws && !next.soft {
                    f.narrow(held.len, held.len + u32::from(!f.lookahead));
                } else {
                    f.alive = false;
                }
                continue;
            }
            if f.lf_break && held.ends_lf {
                // The break an escaped LF forces.
                f.narrow(lo, u32::MAX);
                continue;
            }
            let wraps = f.word_wrap && held.has_ws;
            let (width, more) = if wraps {
                if !held.ends_ws {
                    // It would have folded after the space inside the line.
                    f.alive = false;
                    continue;
                }
                if next.soft && !next.has_ws {
                    // The word moved down fills `next`: the character that did not fit may be
                    // the first of the line after, which `next`'s own break then proves.
                    relies = true;
                    f.narrow(lo, u32::MAX);
                    continue;
                }
                // A word ending in a hanging space fits when that space does.
                let more = !f.lookahead || !next.word_last || next.soft;
                (next.word, more && !(f.space_hangs && next.has_ws))
            } else if f.overhang {
                (1, !f.lookahead || next.tokens >= 2 || next.soft)
            } else {
                let more = !f.lookahead || next.tokens >= 2 || next.soft;
                (next.first, more && !(f.space_hangs && next.first_ws))
            };
            // The break is there iff held.len - 1 + width + more > line_len.
            let mut hi = (held.len + width + u32::from(more)).saturating_sub(2);
            let reaches_end = if wraps {
                next.word_last
            } else {
                next.tokens == 1
            };
            if f.word_wrap && !f.space_hangs && reaches_end && next.ends_ws_escaped {
                // The trailing space that did not fit: unless even a plain space and `=` do
                // not fit, the encoder keeps it on the held line with a soft break.
                hi = hi.min((held.len + width).saturating_sub(3));
            }
            f.narrow(lo, hi);
        }
        self.any().map(|f| (f, relies))
    }

    /// The rules without word wrap (whose folding the decoder does not track when space or
    /// tab is escaped everywhere).
    pub(super) fn without_word_wrap(mut self) -> Option<Self> {
        for f in &mut self.0 {
            f.alive &= !f.word_wrap;
        }
        self.any()
    }

    /// Sets the folding fields of `layout` to the preferred live rule.
    pub(super) fn apply_best(&self, layout: &mut QpLayout) {
        let f = self.0.iter().find(|f| f.alive).unwrap_or(&self.0[0]);
        layout.line_len = f.lo.max(f.hi.min(PREFERRED));
        layout.lookahead = f.lookahead;
        layout.word_wrap = f.word_wrap;
        layout.lf_break = f.lf_break;
        layout.overhang = f.overhang;
        layout.space_hangs = f.space_hangs;
    }
}
