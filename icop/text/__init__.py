"""Text: decoding bytes (``decoding``), the normalisation pipeline and its views
(``normalize``), the character tables it reads (``charsets``), the languages and scripts icop
knows (``languages``) and the golden-vector format of the spec (``golden``)."""
