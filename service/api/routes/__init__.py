"""One router per concern: answers (`ask`, `search`), `documents`, `health`, `widget`."""
