"""Uzbek, Turkish, Azerbaijani and other Latin text that ``classify.normalise`` must not read as Kazakh.

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

Comments on a public page come in any language, and Portuguese, Spanish, Polish or French share
Kazakh cues too (ç, á, ó, ñ, ń; «para», Kazakh for a bribe): the frequent words of such comments
(greetings, thanks, praise, questions about a price or an account) in Portuguese, Spanish, Italian,
French, Polish, Turkish, Azerbaijani and Uzbek count against Kazakh the same way.

None of the words is a word of the Kazakh texts of ../shared/data and classify/data written out in
Latin letters (the 2021 alphabet, the 2018 acute letters and informal spellings), nor of the Russian
texts there written in translit; words Kazakh writes the same way («bir», «su», «biz», «sen»,
«beri», «endi», «istedi», «para», «el», «son», «salam», «zaman») are left out.
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
# Words of comments on a public page (greetings, thanks, praise, questions about a price or an account)
# in Uzbek, Turkish, Azerbaijani, Portuguese, Spanish, Italian, French and Polish, a line or more each:
# a Portuguese request for help with a page came out Kazakh, its ç, á and «para» read as Kazakh cues. Words of one letter are not read (normalise skips them: «é», «à»); words Kazakh
# or Russian translit writes the same way («para», «su», «el», «al», «da», «ne», «bu», «mi»; «razı», Kazakh «разы» typed with ı) are left out.
_COMMENTS = """
ajoyib alaykum assalomu barakalla bo'ladi hammaga ishlayman keladi mahsulot narx narxi qancha qilibsiz
qilibsizlar qoyil salom toshkent toshkentdan yerda zo'r
acaba akşamlar başarılar benim dost dostlar ederim ederiz fiyat fiyatı geceler gelecek geliyor günaydın
harika hayırlı hepinize herkese hesabım hesap kardeş kardeşim kardeşler kardeşlerimiz kardeşlerimize
merhaba misiniz miyim musunuz mü nasılsınız olsun paylaşım sayfa sayfamı sayfası sağol sağolun
selam selamlar sonra süper tebrik tebrikler teşekkür yardım yardımcı çünki ürün
bakı bakıdan bilərsiniz bilərəm edirik edirəm gözəl gələcək hamı hamısı hamıya həmişə hər kömək məhsul
məlumat məlumatdır mənə olmasa olun qardaş qardaşlar qardaşlarımıza qardaşım qiymət qiyməti qədər
qədərdir səhifə səhifəmi səhifəniz səhifəsi təşəkkür təşəkkürlər uğurlar vaxt xahiş zəhmət əla əziz
abençoe adorei agora ainda ajuda ajudar alguem alguém amei boa bom coisa como conseguir consigo conta
custa demais deus dia entao então essa está estão fazer faço gente isso já linda lindo lindos mais meu
meus minha minhas muita muito muitos nao noite não obrigada obrigado onde pagina parabens parabéns pela
pelo perfil peço pode porque posso pra preciso página quando quanto quero saudades seu sua só tambem
também tarde todos tudo tá uma vc voce voces você vocês
amiga amigo aqui asesoria asesoría ayuda bendiga bien bonita bonito buena buenas bueno buenos con cuando
cuanto cuenta cuesta cuándo cuánto cómo desde dios donde dónde encanta eso esto estoy excelente
felicidades feliz gracias hacer hago hermosa hermoso hola informacion información los muchas muchos muy
necesito nosotros pero precio puede puedo quiero quisiera qué saber saludos sus tardes todo usted
ustedes
aiuto anche bella bellissima bellissimo bello buonasera buongiorno chi ciao come complimenti costa degli
della delle dove fatto grazie mia mille mio molto non perche perché posso puoi quanto questa questo
saluti sono sul tanto tua tuo tutti tutto voglio vorrei
aide aider aussi aux beau beaucoup belle bonjour bonsoir c'est cet cette combien comment compte coûte
faire félicitations j'ai magnifique merci oui où plait plaît plus pourquoi s'il salut svp tres très
bardzo czesc cześć czy dlaczego dziekuje dzien dzień dziękuję gdzie jest jestem już kiedy konto kosztuje
mnie moge mogę piękne piękny pomoc pomocy pozdrawiam prosze proszę się strona stronę są tylko wszystkim
wszystko zdjęcie że
"""
# Words Turkish and Azerbaijani write alike («gündür», «yolda») are in one list only.
# Each also with the ’ a phone types for ' («c’est»): words are looked up as written.
NEIGHBOUR_LATIN_WORDS = frozenset(
    form
    for word in (_UZBEK + _TURKISH + _AZERBAIJANI + _COMMENTS).split()
    for form in (word, word.replace("'", "’"))
)


def with_apostrophes(text: str) -> str:
    """The text with each Uzbek sign typed as ʻ, ‘ or ` written ' (the Latin words hold ' and ’)."""
    return text.translate(_TO_APOSTROPHE)


def has_neighbour_shape(low: str) -> bool:
    """True when a lower-case Latin word has Uzbek o‘/g‘ or an Uzbek or Turkish present tense."""
    return _SHAPE.search(low.replace("’", "'")) is not None
