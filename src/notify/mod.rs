//! Transitions -> notify scripts and SMTP alert mails.
