"""Uzbek, Turkish and Azerbaijani in Latin letters: text that ``classify.normalise`` must not read as Kazakh.

They write the letters and words that mark Kazakh typed in Latin letters: Uzbek a "q" without "u"
(«yo'q», «qachon»), sh and ch, «beri», «kun»; Turkish and Azerbaijani ş, ç, ğ, ı, ö, ü, which the
Kazakh 2021 alphabet uses too («gündür», «çukur»). Their own cues count against a text being
Kazakh, as English words do: frequent words that Kazakh spells otherwise (Uzbek «juda», «suv»,
«yomon», Turkish «için», «değil», Azerbaijani «yoxdur»), Uzbek o‘ and g‘ (the sign typed as ʻ ‘ ' `
or ’) and present tense in -yap- («kutyapmiz»), Turkish present tense in -yor («bekliyoruz»); and,
read in ``normalise``, a word with a plain c or x beside one of those letters («çocuk», «yaxşı»),
which 3 of the 186,814 words of the shared Kazakh texts written in the 2021 alphabet have
(«lcdıñ»). Kazakh is sometimes typed with o' for ө and g' for ғ too («O'te jaman»): a word with the
sign that reads as a common Kazakh word once the sign is taken out stays a Kazakh cue.

None of the words is a word of the Kazakh texts of ../shared/data written out in Latin letters (the
2021 alphabet and informal spellings); words Kazakh writes the same way («bir», «su», «biz», «sen»,
«beri», «endi», «istedi») are left out.
"""

from __future__ import annotations

import re

# The signs Uzbek writes after o and g (o‘zbek, g‘isht) and for the glottal stop (ta’mir): ʻ is the
# official one, the others are what keyboards offer.
_TO_APOSTROPHE = str.maketrans(dict.fromkeys("ʻ‘`", "'"))
# Uzbek o‘/g‘ and ’ inside a word; Uzbek present tense -yap- («kutyapmiz», «ishlamayapti»); Turkish
# present tense -yor after a vowel («yapıyor», «bekliyoruz»; not «volontyor», «aktyor»).
_SHAPE = re.compile(r"[og]'[a-z]|yap(?:ti|miz|man|siz|san)|[iıuü]yor")

_UZBEK = """
va bilan uchun juda emas kerak lekin chunki ammo yoq yol yollar yolda yollarni yomon yaxshi suv suvi
suvni suvga suvsiz kocha kochada kochalar kochamiz kochamizda kochadagi hokim hokimi hokimiyat
hokimiyati hokimlik hokimligi pora poraxor poraxorlik poraxorlar tamir tamirlash tamirlanmagan
tamirlab necha nega qachon qayerda qayer hech hechkim narsa javob ariza yordam iltimos mahalla
mahallada mahallamiz tumanda viloyat viloyati shahrimiz qishloq qishloqda qishlog chiqindi axlat
ular bizning sizning menga bizga sizga qiling qilish qilmaydi qilmayapti qilyapti qildi ishlamayapti
ishlamaydi kutyapmiz kutamiz kundan kundir haftadan oydan yildan hamma faqat yana emasmi bormi yoqmi
chiroq chiroqlar issiq sovuq maktab maktabda bolalar bolalarimiz odamlar xalq davlat yolovchi
haydovchi
"""
_TURKISH = """
ve için çok var yok değil gibi daha olarak kadar ama her hiç niye nasıl nerede gün gündür günlerdir
sokak sokakta sokağı sokağında cadde caddede caddesi yol yolda yollar yolu yolları sular suyumuz
belediye belediyesi belediyeden rüşvet memur memurlar istiyor yapıyor yapılmadı yapmıyor yapılmıyor
bekliyoruz artık hala hâlâ lütfen teşekkürler çukur çukurlar çukurlu kötü iyi güzel olmuyor oldu
olur mahalle mahallede ev evde evler okul okulda hastane kimse hiçbir şey ediyor etmiyor değilmi çocuk
çocuklar kaldı
"""
_AZERBAIJANI = """
və üçün ilə deyil çox yox yoxdur vardır olan olaraq edir etmək kimi amma lakin artıq hələ heç nə
niyə harada neçə küçə küçədə küçəsi küçələr təmir təmiri lazım lazımdır pis yaxşı rüşvət
məmur məmurlar pul bələdiyyə bələdiyyəsi icra hakimiyyəti hakimiyyət sakinlər sakinləri evdə işıq
işıqlar həll edin edilmir edilməyib gözləyirik şikayət mən sən onlar bizim sizin onların kənd kənddə
kəndimizdə içməli cavab vermir istədi
"""
# Words Turkish and Azerbaijani write alike («gündür», «yolda») are in one list only.
NEIGHBOUR_LATIN_WORDS = frozenset((_UZBEK + _TURKISH + _AZERBAIJANI).split())


def with_apostrophes(text: str) -> str:
    """The text with each Uzbek sign typed as ʻ, ‘ or ` written ' (the Latin words hold ' and ’)."""
    return text.translate(_TO_APOSTROPHE)


def has_neighbour_shape(low: str) -> bool:
    """True when a lower-case Latin word has Uzbek o‘/g‘ or an Uzbek or Turkish present tense."""
    return _SHAPE.search(low.replace("’", "'")) is not None
