"""The categories an article can fall into, each with a description to match against."""
import numpy as np

CATEGORIES = {
    "technology": "software, computers, Linux, programming, packages, installs, configuration, "
                  "bugs, servers, networks, email and spam filters, the internet, gadgets, "
                  "video games, engineering, AI and startups",
    "science": "research, physics, biology, chemistry, space, climate, energy and the environment",
    "business": "companies, markets, management, strategy, products and the economy",
    "finance": "money, investing, banking, stocks, loans, mortgages, insurance and prices",
    "politics": "government, elections, laws, policy, congress, nations and war",
    "health": "medicine, disease, fitness, diet, drugs, doctors and wellbeing",
    "culture": "books, film, music, art, travel, food, history and society",
    "sports": "sport: football, soccer, baseball, tennis, athletes, teams, matches, leagues "
              "and championships",
    "education": "schools, universities, learning, courses, teaching and students",
    "marketing": "advertising, special offers, buy now, free trials, sales, discounts, "
                 "sweepstakes and work from home",
    "other": "personal life, family, friends and chit-chat",
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
