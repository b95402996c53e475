//! Recipients as the delivery log and the logs show them: enough to recognise, not to harvest.

/// `ana@example.com` → `a**@example.com`.
pub fn email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}{}@{domain}", "*".repeat(local.chars().count().saturating_sub(1).min(8)))
        }
        None => "***".to_owned(),
    }
}

/// `+4915112345678` → `+*********5678`.
pub fn phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let keep = digits.len().min(4);
    let tail: String = digits[digits.len() - keep..].iter().collect();
    format!("+{}{tail}", "*".repeat(digits.len() - keep))
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_keep_a_hint_only() {
        assert_eq!(super::email("ana@example.com"), "a**@example.com");
        assert_eq!(super::email("x@y.io"), "x@y.io");
        assert_eq!(super::email("nonsense"), "***");
        assert_eq!(super::phone("+4915112345678"), "+*********5678");
        assert_eq!(super::phone("+12"), "+12");
    }
}
