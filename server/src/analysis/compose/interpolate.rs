//! Compose variable interpolation (`${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:?err}`, `${VAR:+alt}`, `$VAR`, `$$` for a literal `$`) and the `.env` file that
//! supplies values. The server's own environment is not the deploy host's, so only `.env` and
//! defaults count.

use std::collections::HashMap;

/// Variables from a `.env` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvFile {
    pub vars: HashMap<String, String>,
}

impl EnvFile {
    /// `KEY=value` lines; `#` comments, `export ` prefixes and quotes are understood.
    pub fn parse(text: &str) -> EnvFile {
        let mut vars = HashMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let Some((key, value)) = line.split_once('=') else { continue };
            let value = value.trim();
            let value = match value.as_bytes().first() {
                Some(b'"') | Some(b'\'') if value.len() >= 2 && value.ends_with(&value[..1]) => {
                    &value[1..value.len() - 1]
                }
                _ => value.split(" #").next().unwrap_or(value).trim(),
            };
            vars.insert(key.trim().to_string(), value.to_string());
        }
        EnvFile { vars }
    }
}

/// An interpolated string: its value and whether every variable had a value or a default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpolated {
    pub value: String,
    pub resolved: bool,
}

pub fn interpolate(text: &str, env: &EnvFile) -> Interpolated {
    if !text.contains('$') {
        return Interpolated { value: text.to_string(), resolved: true };
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut resolved = true;
    let mut i = 0;
    let mut literal_start = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        out.push_str(&text[literal_start..i]);
        match bytes.get(i + 1) {
            Some(b'$') => {
                out.push('$');
                i += 2;
            }
            Some(b'{') => {
                let Some(close) = text[i + 2..].find('}') else {
                    out.push_str(&text[i..]);
                    i = text.len();
                    literal_start = i;
                    continue;
                };
                let inner = &text[i + 2..i + 2 + close];
                let name_len = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inner.len());
                let (name, rest) = inner.split_at(name_len);
                let value = env.vars.get(name);
                let set = value.is_some();
                let non_empty = value.is_some_and(|v| !v.is_empty());
                let (word, colon, kind) = if let Some(w) = rest.strip_prefix(":-") {
                    (w, true, '-')
                } else if let Some(w) = rest.strip_prefix('-') {
                    (w, false, '-')
                } else if let Some(w) = rest.strip_prefix(":+") {
                    (w, true, '+')
                } else if let Some(w) = rest.strip_prefix('+') {
                    (w, false, '+')
                } else if let Some(w) = rest.strip_prefix(":?") {
                    (w, true, '?')
                } else if let Some(w) = rest.strip_prefix('?') {
                    (w, false, '?')
                } else {
                    ("", false, ' ')
                };
                let present = if colon { non_empty } else { set };
                match kind {
                    '-' if !present => out.push_str(&interpolate(word, env).value),
                    '+' if present => out.push_str(&interpolate(word, env).value),
                    '+' => {}
                    _ => match value {
                        Some(v) if kind != '?' || present => out.push_str(v),
                        _ => resolved = false,
                    },
                }
                i += 2 + close + 1;
            }
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let name_len = text[i + 1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(text.len() - i - 1);
                match env.vars.get(&text[i + 1..i + 1 + name_len]) {
                    Some(v) => out.push_str(v),
                    None => resolved = false,
                }
                i += 1 + name_len;
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
        literal_start = i;
    }
    out.push_str(&text[literal_start..]);
    Interpolated { value: out, resolved }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let env = EnvFile::parse("# c\nTAG=1.27\nexport EMPTY=\nQUOTED=\"a b\"\n");
        assert_eq!(interpolate("nginx:${TAG}", &env).value, "nginx:1.27");
        assert_eq!(interpolate("${UID:-1000}:${GID:-1000}", &env).value, "1000:1000");
        assert_eq!(interpolate("${EMPTY:-x}${EMPTY-y}", &env).value, "x");
        assert_eq!(interpolate("$$HOME/$TAG", &env).value, "$HOME/1.27");
        assert_eq!(interpolate("${QUOTED:+set}", &env).value, "set");
        let unresolved = interpolate("app:${VERSION}", &env);
        assert_eq!((unresolved.value.as_str(), unresolved.resolved), ("app:", false));
    }
}
