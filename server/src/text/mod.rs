//! Positions: byte offsets ↔ (line, column) in UTF-16 code units, UTF-8 bytes or characters.
//! The one place where columns are computed; the protocol and the terminal both go through it.
//! Lines break at `\n`, `\r\n` and `\r`, as LSP defines them (ropey with `cr_lines`).

use ropey::Rope;

/// The unit of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// LSP's default.
    #[default]
    Utf16,
    /// Bytes, when the client offers `utf-8`.
    Utf8,
    /// Unicode scalar values: `driftls check` columns, SARIF `unicodeCodePoints`.
    Chars,
}

/// A zero-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// A line and column that does not name a place in the text. Per LSP, a column past the end
/// of its line means the line end and a line past the end means the end of the text, so this
/// only reports what was clamped, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clamped {
    pub offset: usize,
    pub clamped: bool,
}

/// Byte offset → line and column. Offsets past the end, or inside a character, are moved to
/// the end or to the character's start.
pub fn line_col(rope: &Rope, offset: usize, encoding: Encoding) -> LineCol {
    let mut offset = offset.min(rope.len_bytes());
    let char_idx = rope.byte_to_char(offset);
    offset = rope.char_to_byte(char_idx);
    let line = rope.byte_to_line(offset);
    let line_start_char = rope.line_to_char(line);
    let col = match encoding {
        Encoding::Utf16 => rope.char_to_utf16_cu(char_idx) - rope.char_to_utf16_cu(line_start_char),
        Encoding::Utf8 => offset - rope.line_to_byte(line),
        Encoding::Chars => char_idx - line_start_char,
    };
    LineCol { line: line as u32, col: col as u32 }
}

/// Line and column → byte offset, clamped to the line end / text end as LSP prescribes.
pub fn offset(rope: &Rope, at: LineCol, encoding: Encoding) -> Clamped {
    let line = at.line as usize;
    if line >= rope.len_lines() {
        return Clamped { offset: rope.len_bytes(), clamped: true };
    }
    let line_start_char = rope.line_to_char(line);
    let line_slice = rope.line(line);
    let content_chars = line_slice.len_chars() - line_break_chars(&line_slice);
    let line_end_char = line_start_char + content_chars;
    let col = at.col as usize;
    let (char_idx, clamped) = match encoding {
        Encoding::Utf16 => {
            let start_cu = rope.char_to_utf16_cu(line_start_char);
            let end_cu = rope.char_to_utf16_cu(line_end_char);
            let cu = start_cu + col;
            if cu > end_cu { (line_end_char, true) } else { (rope.utf16_cu_to_char(cu), false) }
        }
        Encoding::Utf8 => {
            let start_byte = rope.char_to_byte(line_start_char);
            let end_byte = rope.char_to_byte(line_end_char);
            let byte = start_byte + col;
            if byte > end_byte { (line_end_char, true) } else { (rope.byte_to_char(byte), false) }
        }
        Encoding::Chars => {
            if col > content_chars {
                (line_end_char, true)
            } else {
                (line_start_char + col, false)
            }
        }
    };
    Clamped { offset: rope.char_to_byte(char_idx), clamped }
}

fn line_break_chars(line: &ropey::RopeSlice<'_>) -> usize {
    let n = line.len_chars();
    if n == 0 {
        return 0;
    }
    match line.char(n - 1) {
        '\n' if n >= 2 && line.char(n - 2) == '\r' => 2,
        '\n' | '\r' => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_utf8_and_chars() {
        let rope = Rope::from_str("a😀é\r\nx\ry\n");
        let at = "a😀é".len();
        assert_eq!(line_col(&rope, at, Encoding::Utf16), LineCol { line: 0, col: 4 });
        assert_eq!(line_col(&rope, at, Encoding::Utf8), LineCol { line: 0, col: 7 });
        assert_eq!(line_col(&rope, at, Encoding::Chars), LineCol { line: 0, col: 3 });
        let y = "a😀é\r\nx\r".len();
        assert_eq!(line_col(&rope, y, Encoding::Utf16), LineCol { line: 2, col: 0 });
        assert_eq!(offset(&rope, LineCol { line: 0, col: 3 }, Encoding::Utf16).offset, "a😀".len());
        // Past the line end: the line end, before `\r\n`.
        assert_eq!(offset(&rope, LineCol { line: 0, col: 99 }, Encoding::Utf16), Clamped { offset: at, clamped: true });
        // Past the last line: the end of the text.
        assert_eq!(offset(&rope, LineCol { line: 9, col: 0 }, Encoding::Utf16).offset, rope.len_bytes());
        // Inside a surrogate pair: the character's start.
        assert_eq!(offset(&rope, LineCol { line: 0, col: 2 }, Encoding::Utf16).offset, 1);
    }
}
