"""The workshop report: a draft built from the forum's record in the structure of the
secretariat's in-session workshop reports (chapters I-VI, paragraphs numbered through the
document, footnotes linking the threads), kept as a document with revisions, exported to
Markdown and DOCX and published as a pinned thread of the workshop space."""
