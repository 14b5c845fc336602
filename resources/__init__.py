"""The learning resource library: the training packs' sources
(resources/packs/<id>/{en,km}.md), their PDFs, and the catalog of every
resource the library lists.  Used at build time by overrides/hooks/."""
