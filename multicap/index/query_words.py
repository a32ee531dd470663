"""The small tables a query is read with where WordNet says nothing of what is photographed.

`multicap.index.query` reads a query with WordNet 3.0; these say what WordNet does not: which words
relate two things ("in front of", "wearing"), say where or how large a thing is ("on the left", "a small
dog"), how many ("two dogs", "a crowd": five people), whether a face is seen close ("portrait"), how the
whole image looks ("a dark photo", "black and white"), and what is found at the places people
photograph ("kitchen": a microwave; WordNet's kitchen reaches palaces, kinds of dwelling). Every place's
things are ImageNet class names (tests/unit/test_query.py checks it).
"""

from __future__ import annotations

__all__ = [
    "ACTIONS", "ANIMAL_PARTS", "AT_LEAST", "AT_PLACE", "BODY_OF_WATER", "COLOURS", "COVERINGS",
    "FACE_WORDS", "FILLER", "FOUND", "FOUND_SENSES", "IMAGE_WORDS", "LOOKS", "MONOCHROME", "NUMBERS",
    "PEOPLE_COUNT", "PEOPLE_WORDS", "PLACE_WORDS", "POSITIONS", "POSITION_TAIL", "QUANTIFIERS", "RELATIONS",
    "RELATION_PHRASES", "REQUESTS", "SEEN_AS", "SHADES", "SIZES", "STOPWORDS", "SURFACES", "WHERE_TAKEN",
]  # fmt: skip

# Quantifiers: "any dog", "all cats" (each had been an unknown word; "more" was Sir Thomas More, a person,
# and "much" a fiddler crab). Stopwords, but a name may begin with one ("all-terrain bike", "very light").
QUANTIFIERS = frozenset(
    {"any", "every", "each", "all", "other", "another", "more", "most", "less", "much", "plenty", "such",
     "same", "very", "just", "only", "also", "both"}
)  # fmt: skip
# Words a query says nothing with of its own ("a", "the", "photo").
# The colour words the describer uses.
COLOURS = (
    "red",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "pink",
    "brown",
    "black",
    "white",
    "gray",
    "cyan",
)
# Words of a sentence that ask for nothing ("animals but not dogs", "cats which are sleeping", "dog vs
# cat"): dropped by the reading and by the full-text search ("vs" alone had been searched for, unfound)
FILLER = frozenset(
    {"but", "except", "which", "who", "whose", "whom", "me", "please", "than", "vs", "versus", "either",
     # a question's and a sentence's words: "where is the dog" had said '"where" is not a word WordNet
     # knows; did you mean here?', "do you have dogs" searched "have" as a person (the haves), "it" as
     # information technology
     "what", "where", "when", "why", "how", "it", "you", "i", "we", "they", "he", "she", "them", "us", "him",
     "there", "here", "do", "does", "did", "has", "have", "had", "having", "was", "were", "be", "been",
     "being", "am", "nor", "neither",
     # what a query says of the photo, not of what it shows: "something blue", "photos I took", "a
     # picture taken indoors" ("take" had searched cabs; "anything" and "taken" had been unknown words)
     "something", "anything", "everything", "take", "takes", "taken", "took", "get", "got", "want",
     "last", "view", "views", "full", "nothing"}
)  # fmt: skip  # ("either a dog or a cat": "either" had been unknown, "did you mean ether?")
STOPWORDS = frozenset(
    {"a", "an", "the", "and", "or", "not", "no", "of", "to", "for", "is", "are", "some", "its", "their",
     "his", "her", "my", "our", "your", "this", "that", "these", "those", "photo", "picture", "image",
     "images", "photos", "pictures", "photograph", "photographs", "pic", "pics", "pix", "snapshot",
     "snapshots", "nobody", "noone", "'s", *QUANTIFIERS}
) | FILLER  # fmt: skip
# How a query may begin by asking ("show me cats": "show" had been read as a thing, searched as an
# odometer): dropped, as the photo words are.
REQUESTS = (
    ("show", "me"), ("show", "us"), ("find", "me"), ("give", "me"), ("get", "me"), ("search", "for"),
    ("look", "for"), ("looking", "for"), ("i", "want"), ("i", "need"), ("i'm", "looking", "for"),
    ("can", "you"), ("could", "you"),  # "can you find me ...": "can" had searched milk cans
    ("find",), ("show",),
)  # fmt: skip
# What people and animals do with things: the parts on either side are what the query asks for.
ACTIONS = frozenset(
    {"wearing", "holding", "riding", "carrying", "playing", "walking", "sitting", "standing", "running",
     "eating", "drinking", "lying", "flying", "swimming", "jumping", "reading", "looking", "using",
     "wears", "holds", "rides", "carries", "plays", "walks", "sits", "stands", "runs", "eats",
     # doings the describer cannot see ("sleeping" had searched pajamas, "cooking" a Dutch oven,
     # "chasing" been said to be no word)
     "sleeping", "cooking", "chasing", "dancing", "singing", "smiling", "laughing", "crying", "climbing",
     "hiking", "barking", "fetching", "waiting", "talking", "hugging", "kissing", "fighting", "grazing",
     "feeding", "hunting", "posing", "watching", "resting", "sleeps", "chases", "watches",
     # how one thing is with another: relations, not things ("surrounded" had been an unknown word)
     "surrounded", "covered", "filled", "leaning", "hanging", "floating", "perched"}
)  # fmt: skip
RELATIONS = frozenset(
    {"on", "in", "at", "with", "near", "by", "beside", "under", "over", "above", "below", "behind",
     "between", "inside", "outside", "against", "along", "across", "around", "among", "through", "into",
     "onto", "within", "underneath", "beneath", "atop", "toward", "towards", "from", "without", *ACTIONS}
)  # fmt: skip
# Relations of several words, said as one ("a woman in front of a flag": "front" is no thing).
RELATION_PHRASES = (
    ("in", "front", "of"),
    ("on", "top", "of"),
    ("next", "to"),
    ("close", "to"),
    ("far", "from"),
)

# How many people a word asks for (the describer says up to nine): "people" two or more, "a crowd" five.
PEOPLE_COUNT = {
    "people": 2, "persons": 2, "humans": 2, "men": 2, "women": 2, "children": 2, "kids": 2, "faces": 2,
    "females": 2, "males": 2,
    "couple": 2, "pair": 2, "group": 3, "groups": 3, "team": 3, "family": 3, "crowd": 5, "crowds": 5,
}  # fmt: skip
# Where in the image (the describer's 3 × 3 grid: "top left" ... "center" ... "bottom right").
POSITIONS = {
    "left": "left", "right": "right", "top": "top", "bottom": "bottom", "upper": "top", "lower": "bottom",
    "centre": "center", "center": "center", "middle": "center",
}  # fmt: skip
# Size words → the describer's sizes (a box's share of the image: small < 10%, large > 40%).
SIZES = {
    "small": "small", "little": "small", "tiny": "small", "medium": "medium", "large": "large",
    "big": "large", "huge": "large", "giant": "large", "enormous": "large", "massive": "large",
    "gigantic": "large", "miniature": "small",
}  # fmt: skip
POSITION_TAIL = frozenset({"corner", "side", "edge", "half", "part"})
NUMBERS = {
    "one": 1, "single": 1, "lone": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, **{str(n): n for n in range(1, 1000)},
    "several": 3, "few": 2, "multiple": 2, "many": 5, "numerous": 5, "lots": 5, "dozens": 5,
    "hundreds": 5, "thousands": 5, "countless": 5,
}  # fmt: skip
# Count words that ask for at least so many, not that many ("many dogs": five or more).
AT_LEAST = frozenset({"several", "few", "multiple", "many", "numerous", "lots", "dozens", "hundreds",
                      "thousands", "countless"})  # fmt: skip
# Words that ask for a face seen close (the describer found a face, and the person is large).
FACE_WORDS = frozenset(
    {"face", "faces", "portrait", "portraits", "headshot", "headshots", "selfie", "selfies"}
)
# "female" and "male" are first an animal of either sex in WordNet; in a photo, a person
PEOPLE_WORDS = frozenset(
    {
        *PEOPLE_COUNT,
        *FACE_WORDS,
        "human",
        "families",
        "teams",
        "female",
        "male",
        "females",
        "males",
        "mum",
        "mummy",
    }  # ("mum" is first a chrysanthemum in WordNet: "my mum's car" had searched flowers)
)

# Words for what the describer finds from the pixels, beyond the classes (multicap.describe.sky and
# .vegetation) → the labels it gives.
FOUND: dict[str, tuple[str, ...]] = {
    "sky": ("sky",), "skies": ("sky",), "cloud": ("sky",), "clouds": ("sky",), "storm": ("sky",),
    "storms": ("sky",),
    # a sunset, else the sky it is in: the describer finds no sun ("sun" had searched sunglasses, through
    # a definition; then blue skies above the sunsets)
    "sun": ("sunset", "sky"), "sunshine": ("sunset", "sky"), "sunlight": ("sunset", "sky"),
    # a low sun's light (multicap.describe.sunset): the describer cannot tell evening from morning
    "sunset": ("sunset",), "sunsets": ("sunset",), "sunrise": ("sunset",), "sunrises": ("sunset",),
    "sundown": ("sunset",), "sunup": ("sunset",), "dusk": ("sunset",), "dawn": ("sunset",),
    "daybreak": ("sunset",), "twilight": ("sunset",), "afterglow": ("sunset",),
    "golden hour": ("sunset",),  # (had been yellow things, and an hour not seen)
    # an evening photographed is its low sun's light (had been "names a time", exit 1; "an evening dress",
    # a WordNet noun of its own, is still the gown)
    "evening": ("sunset",), "evenings": ("sunset",), "eventide": ("sunset",), "nightfall": ("sunset",),
    "grass": ("grass",), "lawn": ("grass",), "lawns": ("grass",), "turf": ("grass",),
    # land under grass (WordNet's field is land cleared of trees; its meadow a hayfield, hay)
    "field": ("grass",), "fields": ("grass",), "meadow": ("grass",), "meadows": ("grass",),
    "pasture": ("grass",), "pastures": ("grass",), "grassland": ("grass",), "prairie": ("grass",),
    # a tree seen close is foliage to the describer (a koala in a tree, a giraffe before one)
    "tree": ("trees", "foliage"), "trees": ("trees", "foliage"),
    # (not foliage, as "tree" is: "forest" had ranked close-ups of leaves and a ladybird first)
    "forest": ("trees",), "forests": ("trees",), "woods": ("trees",),
    "leaf": ("foliage",), "leaves": ("foliage",), "foliage": ("foliage",), "bush": ("foliage",),
    "bushes": ("foliage",), "shrub": ("foliage",), "shrubs": ("foliage",), "weed": ("foliage",),
    "weeds": ("foliage",), "hedge": ("foliage",),
    "hedges": ("foliage",), "branch": ("trees", "foliage"), "branches": ("trees", "foliage"),
    "bough": ("trees", "foliage"), "boughs": ("trees", "foliage"),
    "woodland": ("trees",), "woodlands": ("trees",), "jungle": ("trees",), "grove": ("trees",),
    "thicket": ("foliage",), "shrubbery": ("foliage",), "undergrowth": ("foliage",),
    "vegetation": ("grass", "trees", "foliage"), "greenery": ("grass", "trees", "foliage"),
    # a photo's plant is green growth (WordNet's first plant is a factory: a lumbermill)
    "plant": ("foliage", "grass", "trees"), "plants": ("foliage", "grass", "trees"),
    # out of doors: what the describer finds only there ("outdoors" had searched sleeping bags)
    "outdoors": ("sky", "grass", "trees", "foliage"), "outdoor": ("sky", "grass", "trees", "foliage"),
    "outside": ("sky", "grass", "trees", "foliage"),  # last in a query ("a picture taken outside")
}  # fmt: skip

# Clouds: the describer finds the sky, not clouds in it, and says its colour: a clouded sky is one it says
# white or gray, a clear one blue ("clouds" had ranked clear blue skies first). The nouns ask for such a
# sky; the weather words colour the sky they come before ("a stormy sky"), or ask for one beside what they
# come before ("a sunny beach": a beach, and a clear sky) or alone ("overcast"). "sunny" had asked for a
# bright image: erasers and lighters on white paper.
CLOUDED = "white or gray"
CLEAR = "blue or cyan"  # a clear sky, as the describer says one (cyan: the pale blue near the horizon)
CLOUD_NOUNS = frozenset({"cloud", "clouds", "storm", "storms"})  # a storm: its clouds, as "stormy" asks
WEATHER = {"cloudy": CLOUDED, "clouded": CLOUDED, "overcast": CLOUDED, "stormy": CLOUDED, "sunny": CLEAR,
           "cloudless": CLEAR, "sunlit": CLEAR}  # fmt: skip

# The WordNet 3.0 senses of what the describer finds from the pixels (offsets) → its labels: another word
# whose first or second sense is one of these is read as it ("wood": first the material, then a forest).
FOUND_SENSES: dict[int, tuple[str, ...]] = {
    8438533: ("trees",),  # forest.n.01 (wood, woods)
    12102133: ("grass",),  # grass.n.01
    8591592: ("grass",),  # lawn.n.01
    8570634: ("grass",),  # hayfield.n.01 (meadow)
    8569998: ("grass",),  # field.n.01
    13152742: ("foliage",),  # leaf.n.01 (foliage, leafage)
    13112664: ("foliage",),  # shrub.n.01 (bush)
    3511175: ("foliage",),  # hedge.n.01 (hedgerow)
    9436708: ("sky",),  # sky.n.01
}

# Places people photograph that no ImageNet class is, and no WordNet relation links to the things seen
# there (a street's cab is not part of a street in WordNet; "kitchen" reached palaces, through dwelling):
# the things found at each, by ImageNet name. A place word reaches these and its own kinds, not WordNet's
# looser routes.
AT_PLACE: dict[str, tuple[str, ...]] = {
    "street": (
        "street sign", "traffic light", "cab", "parking meter", "streetcar", "trolleybus", "police van",
        "minivan", "moped", "motor scooter", "manhole cover", "mailbox", "pay-phone", "garbage truck",
        "school bus", "limousine", "jinrikisha", "cinema", "tobacco shop", "barbershop", "shoe shop",
    ),
    "kitchen": (
        "refrigerator", "microwave", "dishwasher", "stove", "Dutch oven", "toaster", "espresso maker",
        "frying pan", "wok", "caldron", "coffeepot", "teapot", "plate rack", "mixing bowl",
    ),
    "office": (
        "desktop computer", "monitor", "computer keyboard", "mouse", "printer", "photocopier", "file",
        "desk", "notebook", "laptop", "binder", "fountain pen",
    ),
    "bedroom": ("four-poster", "quilt", "studio couch", "pillow", "wardrobe", "lampshade", "table lamp"),
    "bathroom": (
        "bathtub", "tub", "shower curtain", "toilet seat", "washbasin", "medicine chest", "soap dispenser",
    ),
    "living room": (
        "studio couch", "entertainment center", "television", "home theater", "bookcase", "rocking chair",
        "china cabinet", "table lamp", "window shade",
    ),
    "park": ("park bench", "fountain", "swing", "lawn mower", "picket fence", "birdhouse"),
    "farm": ("plow", "harvester", "thresher", "ox", "barn", "hay", "tractor", "hog", "worm fence"),
    "restaurant": ("restaurant", "dining table", "plate", "cup", "wine bottle", "menu", "red wine"),
    # WordNet's stadium is a structure, reaching no class; a game is what a photo of one shows
    "stadium": ("ballplayer", "scoreboard", "football helmet", "rugby ball", "soccer ball", "baseball"),
    "airport": ("airliner", "warplane", "airship", "wing"),
    "harbor": ("container ship", "liner", "lifeboat", "pier", "dock", "speedboat", "fireboat", "yawl",
               "catamaran", "trimaran", "schooner"),
    "shop": ("grocery store", "shopping cart", "shopping basket", "bookshop", "bakery", "confectionery",
             "toyshop", "shoe shop", "tobacco shop", "butcher shop"),
    # where vehicles stand or queue: WordNet's bus stop, parking lot and traffic jam reach no class
    "bus stop": ("trolleybus", "school bus", "minibus", "street sign", "park bench", "traffic light"),
    "parking lot": ("cab", "minivan", "sports car", "convertible", "beach wagon", "jeep", "limousine",
                    "pickup", "police van", "parking meter"),
    "traffic": ("cab", "minivan", "trolleybus", "school bus", "minibus", "trailer truck", "moving van",
                "police van", "jeep", "sports car", "pickup", "streetcar", "moped", "traffic light"),
    # a city's streets and its buildings ("city" had been a street's things alone: a city's photos are of
    # its buildings as often)
    "city": (
        "street sign", "traffic light", "cab", "streetcar", "trolleybus", "parking meter", "church", "mosque",
        "palace", "monastery", "bell cote", "dome", "triumphal arch", "obelisk", "fountain", "cinema",
        "library", "restaurant", "tobacco shop", "bookshop", "steel arch bridge",
    ),
    # under the sea: its creatures and what divers use ("underwater" had been a word describing nothing)
    "underwater": (
        "coral reef", "scuba diver", "sea anemone", "brain coral", "jellyfish", "sea slug", "sea urchin",
        "starfish", "sea cucumber", "anemone fish", "lionfish", "puffer", "rock beauty", "eel", "gar",
        "great white shark", "tiger shark", "hammerhead", "electric ray", "stingray", "snorkel",
        "loggerhead", "leatherback turtle", "dugong", "chiton", "conch",
    ),
    "aquarium": (
        "goldfish", "anemone fish", "rock beauty", "lionfish", "puffer", "sea anemone", "coral reef",
    ),
    "garden": (
        "daisy", "yellow lady's slipper", "pot", "picket fence", "lawn mower", "birdhouse", "patio",
        "greenhouse", "barrow", "bee",
    ),
    # inside a building: what the rooms above hold ("room" had reached a stupa, "indoors" nothing)
    "indoors": (
        "refrigerator", "microwave", "stove", "desktop computer", "monitor", "desk", "four-poster", "quilt",
        "studio couch", "wardrobe", "table lamp", "bathtub", "washbasin", "entertainment center",
        "television", "bookcase", "rocking chair", "china cabinet", "window shade", "dining table",
    ),
    "landscape": ("alp", "valley", "cliff", "volcano", "promontory", "seashore", "lakeside", "sandbar",
                  "geyser"),
    "desert": ("Arabian camel", "sandbar", "sidewinder"),  # its sand, as the describer says it
    # events, where what is seen is what is there (WordNet's concert is a performance, its party a group)
    "concert": ("stage", "electric guitar", "acoustic guitar", "drum", "microphone", "spotlight",
                "grand piano", "violin", "cello", "sax", "cornet", "trombone", "theater curtain"),
    "orchestra": ("violin", "cello", "French horn", "trombone", "cornet", "sax", "flute", "oboe", "bassoon",
                  "grand piano", "drum", "stage"),
    "wedding": ("groom", "gown", "suit", "bow tie", "church"),
    "graduation": ("academic gown", "mortarboard"),
    "party": ("balloon", "candle", "wine bottle", "beer bottle", "beer glass", "goblet"),
    # Any body of water (WordNet's body_of_water.n.01 and its kinds: sea, lake, river, pond...): ImageNet has
    # none, but its shores and what floats on it.
    "water": ("lakeside", "seashore", "boathouse", "pier", "dock", "sandbar", "breakwater", "dam",
              "coral reef", "canoe", "speedboat", "paddle", "yawl", "lifeboat", "catamaran", "trimaran",
              "schooner", "gondola", "fireboat", "liner", "container ship", "wreck", "snorkel",
              "scuba diver"),
}  # fmt: skip
# Everyday words whose things ImageNet files under another WordNet synset than the word's own, so that no
# WordNet relation joins them: its "hen" and "cock" are any adult bird, not the chicken's; what people call
# solar panels it learned as a "solar dish" (WordNet puts a solar panel in a satellite). Word → class names.
_FARM_ANIMALS = ("ox", "water buffalo", "ram", "hog", "hen", "cock", "goose", "sorrel")
_SHELLS = ("conch", "chambered nautilus")
_FRUIT = ("Granny Smith", "banana", "custard apple", "fig", "jackfruit", "lemon", "orange", "pineapple",
          "pomegranate", "strawberry")  # ImageNet's edible fruit  # fmt: skip
_BIKES = ("mountain bike", "bicycle-built-for-two", "moped", "tricycle", "unicycle")
_SCREENS = ("web site", "menu")
_PAGES = ("menu", "web site")
_BOOKS = ("book jacket", "comic book", "bookcase")
_STATUES = ("pedestal", "totem pole")
_TOWERS = ("beacon", "bell cote", "water tower", "obelisk")
_LANDMARKS = ("triumphal arch", "obelisk", "bell cote", "palace", "castle", "church", "mosque", "stupa",
              "monastery", "pedestal", "megalith", "dome", "steel arch bridge",
              "suspension bridge")  # fmt: skip
_TEXT = ("street sign", "scoreboard", "menu", "web site", "book jacket", "cinema")
_CUTLERY = ("wooden spoon", "spatula", "ladle", "cleaver")
_COATS = ("trench coat", "fur coat", "lab coat", "cardigan", "sweatshirt", "suit", "poncho")
SEEN_AS: dict[str, tuple[str, ...]] = {
    "chicken": ("hen", "cock"), "chickens": ("hen", "cock"), "rooster": ("cock",), "roosters": ("cock",),
    "poultry": ("hen", "cock"), "solar panel": ("solar dish",), "solar panels": ("solar dish",),
    "solar array": ("solar dish",), "photovoltaic": ("solar dish",),
    # WordNet's livestock has no kinds: its cattle, sheep and pigs are filed elsewhere
    "livestock": _FARM_ANIMALS, "farm animal": _FARM_ANIMALS, "farm animals": _FARM_ANIMALS,
    # no WordNet words: any sign by a road is ImageNet's street sign
    "traffic sign": ("street sign",), "traffic signs": ("street sign",), "road sign": ("street sign",),
    "road signs": ("street sign",),
    # ImageNet's seashore is its beaches (WordNet's beach is part of any shore, a lake's too: 0.7)
    "beach": ("seashore", "sandbar"), "beaches": ("seashore", "sandbar"),
    # a mountain's top: WordNet's peak and summit are points, ImageNet's alp any high mountain
    "peak": ("alp",), "peaks": ("alp",), "summit": ("alp",), "summits": ("alp",), "mountaintop": ("alp",),
    # not in WordNet 3.0 ("bookshelf" had been unknown), or first another thing ("jacket" a book jacket)
    "seashell": _SHELLS, "seashells": _SHELLS, "shell": _SHELLS, "shells": _SHELLS,  # (not armour)
    # everyday names of classes that WordNet 3.0 lacks or files one step away ("tv" the receiver, a part
    # of ImageNet's television system: 0.42; "fridge" a kind of refrigerator; "smartphone" no word)
    "tv": ("television",), "tvs": ("television",), "fridge": ("refrigerator",), "fridges": ("refrigerator",),
    "smartphone": ("cellular telephone",), "smartphones": ("cellular telephone",),
    "iphone": ("cellular telephone",), "clownfish": ("anemone fish",),
    # what the words mean in a photo, not WordNet's first sense: "fruit" is first the botanist's (it had
    # reached rapeseed, corn and acorns as fully as apples), "bike" a motorcycle (bicycles at 0.6), "wall"
    # and "window" parts of a building (they had searched stupas and boathouses)
    "fruit": _FRUIT, "fruits": _FRUIT,
    "bike": _BIKES, "bikes": _BIKES, "wall": ("stone wall",), "walls": ("stone wall",),
    "window": ("window screen", "window shade"), "windows": ("window screen", "window shade"),
    "bookshelf": ("bookcase",), "bookshelves": ("bookcase",), "jacket": _COATS, "jackets": _COATS,
    # what the encoder calls a screen or a page of text (screenshots of nine HTML pages and six text files
    # in headless Chromium: "web site" on all nine pages, "menu" and "web site" on the text; "screenshot"
    # is no WordNet 3.0 word, "document" had reached nothing); a book by its cover, as ImageNet's book
    # jacket (a comic book had come first); a statue by its pedestal, or as its one carved figure, the
    # totem pole (no other class is a sculpture)
    "screenshot": _SCREENS, "screenshots": _SCREENS, "screen shot": _SCREENS, "screen shots": _SCREENS,
    "screengrab": _SCREENS, "screen capture": _SCREENS, "document": _PAGES, "documents": _PAGES,
    "receipt": _PAGES, "receipts": _PAGES, "book": _BOOKS, "books": _BOOKS,
    "statue": _STATUES, "statues": _STATUES, "sculpture": _STATUES, "sculptures": _STATUES,
    # a tower as the encoder sees one: WordNet's kinds of tower reach its beacon alone, but the Eiffel
    # Tower, the Leaning Tower and the Burj Khalifa are its bell cotes and the Juche Tower an obelisk;
    # landmarks are its monuments and great buildings ("landmark" had reached nothing); cutlery is first
    # WordNet's cutter (hatchets, planes), and ImageNet has no fork or table knife
    "tower": _TOWERS, "towers": _TOWERS, "landmark": _LANDMARKS, "landmarks": _LANDMARKS,
    "cutlery": _CUTLERY, "silverware": _CUTLERY, "flatware": _CUTLERY,
    # a pig is any swine to a user (a farm's pig read as a wild boar had ranked below a rhinoceros that
    # the encoder half took for a hog)
    "pig": ("hog", "wild boar"), "pigs": ("hog", "wild boar"),
    # text in a photo is what ImageNet's classes that carry writing show: signs, a scoreboard, a page, a
    # cover, a cinema's marquee (WordNet's text is a publication: "text" had found a comic book's kin and
    # none of the six photos of street text; a walkthrough)
    "text": _TEXT, "lettering": _TEXT, "signage": _TEXT,  # (not "writing": "a woman writing" is no sign)
}  # fmt: skip
BODY_OF_WATER = 9225146  # WordNet 3.0 offset of body_of_water.n.01: a word sensed under it means "water"
PLACE_WORDS = {
    # waves: the water they are on ("ocean waves" had searched radios and microwaves; "road" read as a
    # street's things was tried: the real photos' roads, in the country, lost P@5 0.2 → 0)
    "wave": "water", "waves": "water",
    "street": "street", "city": "city", "cities": "city", "town": "city", "towns": "city",
    "downtown": "city", "urban": "city", "city centre": "city", "city center": "city",
    "underwater": "underwater", "undersea": "underwater", "seabed": "underwater", "sea floor": "underwater",
    "ocean floor": "underwater", "aquarium": "aquarium", "aquariums": "aquarium", "fish tank": "aquarium",
    "garden": "garden", "gardens": "garden",
    "sidewalk": "street", "kitchen": "kitchen", "office": "office", "bedroom": "bedroom",
    "bathroom": "bathroom", "living room": "living room", "park": "park", "farm": "farm",
    "restaurant": "restaurant", "cafe": "restaurant", "stadium": "stadium", "stadiums": "stadium",
    "arena": "stadium", "airport": "airport", "harbor": "harbor",
    "harbour": "harbor", "port": "harbor", "marina": "harbor", "shop": "shop", "store": "shop",
    "supermarket": "shop", "market": "shop", "landscape": "landscape", "landscapes": "landscape",
    "scenery": "landscape", "countryside": "landscape", "nature": "landscape", "desert": "desert",
    "deserts": "desert",
    "concert": "concert", "concerts": "concert", "gig": "concert", "orchestra": "orchestra",
    # music is played: its instruments and stage ("music" had searched iPods, through a definition)
    # (not "band": the first sense of "stripe" is a band)
    "music": "concert", "live music": "concert", "rock band": "concert", "rock bands": "concert",
    "wedding": "wedding", "weddings": "wedding", "party": "party", "parties": "party", "birthday": "party",
    "birthday party": "party", "graduation": "graduation", "graduations": "graduation",
    "commencement": "graduation", "bus stop": "bus stop", "bus stops": "bus stop",
    "parking lot": "parking lot", "parking lots": "parking lot", "car park": "parking lot",
    "car parks": "parking lot", "traffic jam": "traffic", "traffic jams": "traffic", "rush hour": "traffic",
    "indoors": "indoors", "indoor": "indoors", "room": "indoors", "rooms": "indoors", "inside": "indoors",
}  # fmt: skip

# How the whole image looks, as the describer says it (`colours.image_colour_attributes`: its brightness,
# colourfulness and palette): a word → (attribute, value). "night" asks for a dark image: the describer says
# how bright an image is, not the time of day.
_LOOK_WORDS = {
    ("brightness", "bright"): ("bright", "well-lit"),
    ("brightness", "dark"): ("dark", "dim", "gloomy", "night", "nighttime", "underexposed"),
    # "fall colors", "a colour photo": the colours are what is asked for ("colors" had been a suit, a sorrel)
    ("colourfulness", "colourful"): (
        "colourful",
        "colorful",
        "vivid",
        "vibrant",
        "saturated",
        "colour",
        "color",
        "colours",
        "colors",
    ),
    ("colourfulness", "muted"): ("muted", "dull", "drab", "desaturated"),
    ("monochrome", "black and white"): ("monochrome", "monochromatic", "grayscale", "greyscale"),
}
LOOKS = {word: look for look, words in _LOOK_WORDS.items() for word in words}
MONOCHROME = ("black", "and", "white")  # of a photo, not of a thing ("a black and white photo")
# Words for the image itself: a look or a colour before one is the image's ("a blue picture").
IMAGE_WORDS = frozenset(
    {"photo", "photos", "picture", "pictures", "image", "images", "photograph", "photographs", "shot",
     "shots", "scene", "scenes", "pic", "pics", "pix", "snapshot", "snapshots", "view", "views"}
)  # fmt: skip
# Words that shade a colour ("dark blue", "bright red"): before a colour they say nothing the describer
# tells apart, so the colour alone is asked for.
SHADES = frozenset({"dark", "light", "bright", "pale", "deep", "pastel", "dim", "vivid"})

# What covers an animal (its colour is the animal's) and its parts (which the describer does not find).
COVERINGS = frozenset(
    {"fur", "feathers", "feather", "plumage", "coat", "hair", "mane", "skin", "scales", "pelt", "wool",
     "fleece"}
)  # fmt: skip
ANIMAL_PARTS = frozenset(
    {"beak", "bill", "fin", "fins", "tail", "tails", "paw", "paws", "wing", "wings", "horn", "horns", "ear",
     "ears", "eye", "eyes", "leg", "legs", "nose", "head", "neck", "claw", "claws", "spots", "stripes",
     "whiskers", "antlers", "hooves", "trunk"}
)  # fmt: skip
# Last in a query, where the photo was taken ("a picture taken outside"), read as these words.
WHERE_TAKEN = {"inside": "indoors", "outside": "outdoors"}
# Parts of a room or a building that a relation makes where a thing is ("a clock on the wall", "a cat in
# the window"): each had searched buildings, the wholes WordNet gives them (stupas, boathouses).
SURFACES = frozenset(
    {"wall", "walls", "floor", "floors", "ceiling", "corner", "window", "windows", "windowsill"}
)
