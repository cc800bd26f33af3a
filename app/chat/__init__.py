"""Chat with the knowledge base: streaming answers with citations and per-conversation
memory. The view module is `app.chat.views`; one turn's logic is `app.chat.answer`."""
