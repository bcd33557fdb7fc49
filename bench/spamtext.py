"""The reference workload's text preparation in Python, shared by the
scikit-learn side of the benches (bench/workload, bench/tuning): the
label indexed by frequency (ham 0, spam 1, ties by name) and the Spindle
spec's cleanup — drop <…/> tags, keep letters and spaces, squeeze spaces,
lower-case, split on \\W dropping empty tokens and the stop words."""
import re

TAG, NONALPHA, SPACES, NONWORD = re.compile(r"<.*/>"), re.compile(r"[^A-Za-z ]+"), re.compile(r" +"), re.compile(r"\W")


def label_index(labels):
    """The labels indexed by descending frequency, as StringIndexer."""
    counts = labels.value_counts()
    order = sorted(counts.index, key=lambda c: (-counts[c], c))
    return labels.map({c: i for i, c in enumerate(order)}).to_numpy(), counts


def tokenizer(stop_path):
    """A function from a text to its tokens, without the stop words."""
    stop = set(open(stop_path).read().split())

    def tokens(text):
        t = SPACES.sub(" ", NONALPHA.sub("", TAG.sub("", text))).lower()
        return [w for w in NONWORD.split(t) if w and w not in stop]
    return tokens
