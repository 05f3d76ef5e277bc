"""Small helpers several domains need (encodings, tokens, QR codes); they import no domain."""
