"""The SMTP listener: push intake for mail servers that forward customers' mail to Linka."""
