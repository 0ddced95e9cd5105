"""Renderers: each takes a Trace (and a post) and returns a string."""

from .jsonout import latency_json, message_json, postmortem_json, post_object, postmortem_object
from .text import latency_text, message_text, postmortem_text, unparsed_text

__all__ = ["latency_json", "latency_text", "message_json", "message_text", "post_object", "postmortem_json", "postmortem_object",
           "postmortem_text", "unparsed_text"]
