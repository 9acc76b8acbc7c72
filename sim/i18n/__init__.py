"""The product's languages: message catalogs (English and Simplified Chinese) and the number,
money and month formats of each. The lowest layer: it imports nothing of ``sim``, so every layer,
the scenario loader's error messages included, can speak the reader's language.

``sim.i18n.messages`` owns the language of the moment and the lookup; ``sim.i18n.formats`` the
formats; the catalogs are ``locale/<lang>/LC_MESSAGES/messages.po`` (see the README, "Chinese and
English").
"""
