"""Renderers: each takes a Trace (and a post) and returns a string."""

from .jsonout import message_json, postmortem_json, post_object, postmortem_object
from .text import message_text, postmortem_text, unparsed_text

__all__ = ["message_json", "message_text", "post_object", "postmortem_json", "postmortem_object",
           "postmortem_text", "unparsed_text"]
