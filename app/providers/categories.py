"""The categories an article can fall into, each with a description to match against."""
import numpy as np

CATEGORIES = {
    "technology": "software, computers, programming, the internet, engineering, AI and startups",
    "science": "research, physics, biology, chemistry, space, climate, energy and the environment",
    "business": "companies, markets, management, strategy, products and the economy",
    "finance": "money, investing, banking, stocks, loans, mortgages, insurance and prices",
    "politics": "government, elections, laws, policy, congress, nations and war",
    "health": "medicine, disease, fitness, diet, drugs, doctors and wellbeing",
    "culture": "books, film, music, art, travel, food, history and society",
    "sports": "games, teams, players, matches, leagues and championships",
    "education": "schools, universities, learning, courses, teaching and students",
    "marketing": "advertising, promotions, offers, newsletters, sales and discounts",
    "other": "anything else, personal messages and miscellaneous notes",
}


_cache = {}  # embedder name -> [(category, description vector)]


def nearest(vector, embedder):
    """The category whose description embedding is closest to a unit vector."""
    key = embedder.name
    if key not in _cache:
        names = list(CATEGORIES)
        vecs = embedder.embed([f"{n}: {CATEGORIES[n]}" for n in names])
        _cache[key] = list(zip(names, vecs, strict=True))
    return max(_cache[key], key=lambda nv: float(np.dot(vector, nv[1])))[0]
