"""Customer messages in the styles of each source: complaints, and the things that are not.

Written for this simulator (not drawn from the classifier's corpus, so that traffic built
from it says something about the classifier instead of echoing its training data).
"""

from simulator.texts.generator import STYLES, TextGenerator, Utterance

__all__ = ["STYLES", "TextGenerator", "Utterance"]
