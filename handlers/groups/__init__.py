"""Group life: greeting on join, /bind to a building, going inactive on removal, residents by speaking."""
