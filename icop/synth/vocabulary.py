"""Benign vocabulary per language for the synthetic corpus .

Everything here is ordinary, benign filename material: titles, events, release tags, and the
identity words (gender, nationality, person names, school grades and birthday ages) that appear
in *both* classes at the same rate so that bias and false positives can be measured.
docs/CONTENT_RULES.md: nothing in this file is, or may become, a signal of abuse.
"""

from __future__ import annotations

from dataclasses import dataclass

from icop.text.languages import UNSPACED_LANGUAGES


@dataclass(frozen=True)
class Vocabulary:
    lang: str
    script: str
    words: tuple[str, ...]  # titles, media and everyday nouns
    events: tuple[str, ...]  # family, school and religious events
    tags: tuple[str, ...]  # local release and dubbing tags
    episode: tuple[str, ...]  # episode formats with {n}
    gender: tuple[str, ...]
    nationality: tuple[str, ...]
    names: tuple[str, ...]
    ages: tuple[str, ...]  # school grades and birthday ages with {n}

    @property
    def spaced(self) -> bool:
        """Whether the script separates words with spaces."""
        return self.lang not in UNSPACED_LANGUAGES


def _v(lang, script, *lists) -> Vocabulary:
    """Lists given as one string are split on spaces (words in them contain none)."""
    return Vocabulary(lang, script, *(tuple(x.split() if isinstance(x, str) else x) for x in lists))


VOCABULARIES: dict[str, Vocabulary] = {
    v.lang: v
    for v in [
        _v(
            "th",
            "thai",
            "ภาพยนตร์ หนัง ละคร ซีรีส์ ภาค เพลง ลูกทุ่ง การ์ตูน วิดีโอ ภาพถ่าย ธรรมะ บรรยาย ข่าว สารคดี",
            "งานแต่งงาน วันเกิด โรงเรียน วันหยุด ครอบครัว รับปริญญา ทัศนศึกษา สงกรานต์ ปีใหม่ บวช กีฬาสี",
            "พากย์ไทย ซับไทย เสียงไทย มาสเตอร์",
            ["ตอนที่ {n}", "EP.{n}", "ตอน {n}"],
            "ผู้หญิง ผู้ชาย ลูกสาว ลูกชาย เด็กหญิง เด็กชาย",
            "คนไทย ลาว พม่า ญี่ปุ่น",
            "สมชาย สมหญิง มาลี สุดา วิชัย ประเสริฐ",
            ["ป.{n}", "ม.{n}", "ครบ {n} ขวบ", "อายุ {n} ปี"],
        ),
        _v(
            "km",
            "khmer",
            "ភាពយន្ត កុន រឿង ភាគ ចម្រៀង ខារ៉ាអូខេ វីដេអូ រូបថត ទេសចរណ៍ ព័ត៌មាន",
            "មង្គលការ ថ្ងៃកំណើត សាលារៀន សិស្ស ថ្ងៃឈប់សម្រាក គ្រួសារ ចូលឆ្នាំ ភ្ជុំបិណ្ឌ ពិធី បុណ្យ ធម៌ បង្រៀន",
            "និយាយខ្មែរ សម្រាយខ្មែរ",
            ["ភាគ {n}", "EP{n}"],
            "ស្រី ប្រុស កូនស្រី កូនប្រុស",
            "ខ្មែរ ថៃ វៀតណាម",
            "សុខា ដារ៉ា ចាន់ធី សុភា វិចិត្រ",
            ["ថ្នាក់ទី{n}", "ខួបកំណើត {n} ឆ្នាំ"],
        ),
        _v(
            "my",
            "myanmar",
            "ရုပ်ရှင် ဇာတ်ကား ဇာတ်လမ်းတွဲ အပိုင်း သီချင်း ကာရာအိုကေ ဓာတ်ပုံ ဗီဒီယို ခရီးသွား သတင်း",
            "မင်္ဂလာဆောင် မွေးနေ့ ကျောင်း အားလပ်ရက် မိသားစု သင်္ကြန် နှစ်သစ်ကူး ဘွဲ့နှင်းသဘင် ဟောပြောပွဲ တရားတော် ရှင်ပြု",
            "MMSub မြန်မာစာတန်းထိုး",
            ["အပိုင်း {n}", "EP {n}"],
            "မိန်းကလေး ယောက်ျားလေး သမီး သား",
            "မြန်မာ ထိုင်း တရုတ်",
            "အောင်အောင် မောင်မောင် ခင်ခင် သန္တာ ဇော်ဇော်",
            ["{n} တန်း", "မွေးနေ့ {n} နှစ်"],
        ),
        _v(
            "vi",
            "latin",
            ["phim", "phim bộ", "phim lẻ", "bài hát", "nhạc trẻ", "hoạt hình", "video", "ảnh", "tin tức", "du lịch"],
            [
                "đám cưới",
                "sinh nhật",
                "trường học",
                "kỳ nghỉ hè",
                "Tết",
                "gia đình",
                "bài giảng",
                "kỷ yếu",
                "lễ tốt nghiệp",
                "họp lớp",
            ],
            ["Vietsub", "Thuyết minh", "Lồng tiếng"],
            ["Tập {n}", "Tap-{n:02d}", "Phần {n}"],
            ["con gái", "con trai", "bé gái", "bé trai", "phụ nữ", "đàn ông"],
            ["người Việt", "Hàn Quốc", "Nhật Bản", "Thái Lan"],
            ["Nguyễn Văn An", "Trần Thị Mai", "Lan", "Hùng", "Minh", "Hương"],
            ["lớp {n}", "sinh nhật {n} tuổi"],
        ),
        _v(
            "fil",
            "latin",
            ["pelikula", "teleserye", "kabanata", "bahagi", "kanta", "awit", "balita", "video", "litrato"],
            ["kasal", "kaarawan", "binyag", "paaralan", "pagtatapos", "bakasyon", "Pasko", "pista", "pamilya", "reunion"],
            ["Tagalog Dubbed", "Pinoy", "Full Episode"],
            ["Episode {n}", "Kabanata {n}", "Ep{n}"],
            ["babae", "lalaki", "anak", "dalaga", "binata"],
            ["Pilipino", "Pinoy", "Hapon", "Koreano"],
            ["Juan", "Maria", "Jose", "Ana", "Paolo", "Liza"],
            ["grade {n}", "ika-{n} kaarawan"],
        ),
        _v(
            "ms",
            "latin",
            ["filem", "episod", "bahagian", "lagu", "berita", "video", "gambar", "drama", "kartun"],
            [
                "majlis perkahwinan",
                "kenduri kahwin",
                "hari jadi",
                "sekolah",
                "cuti sekolah",
                "hari sukan",
                "Hari Raya",
                "keluarga",
                "ceramah",
                "kuliah",
                "konvokesyen",
            ],
            ["Sub Melayu", "Full HD"],
            ["Episod {n}", "Ep {n}"],
            ["perempuan", "lelaki", "anak", "budak"],
            ["Melayu", "Cina", "India", "Jepun"],
            ["Ahmad", "Siti", "Aisyah", "Hafiz", "Nurul"],
            ["darjah {n}", "tingkatan {n}", "hari jadi ke-{n}"],
        ),
        _v(
            "id",
            "latin",
            ["film", "sinetron", "episode", "bagian", "lagu", "berita", "video", "foto", "kartun"],
            [
                "pernikahan",
                "resepsi",
                "ulang tahun",
                "sekolah",
                "liburan",
                "Lebaran",
                "mudik",
                "keluarga",
                "pengajian",
                "wisuda",
                "tujuhbelasan",
            ],
            ["Sub Indo", "Full HD", "Dubbing Indonesia"],
            ["Episode {n}", "Eps {n}", "Bagian {n}"],
            ["perempuan", "laki-laki", "anak", "cewek", "cowok"],
            ["orang Indonesia", "Jawa", "Sunda", "Korea"],
            ["Budi", "Siti", "Dewi", "Agus", "Rina", "Joko"],
            ["kelas {n}", "ulang tahun ke-{n}"],
        ),
        _v(
            "zh",
            "han",
            "电影 電影 电视剧 電視劇 歌曲 卡拉OK 纪录片 动画 新闻 照片 视频",
            "婚礼 婚禮 生日 学校 學校 假期 春节 春節 家庭 讲座 講座 毕业典礼 畢業典禮 旅游 旅遊 运动会",
            "国语中字 中字 高清 字幕组",
            ["第{n}集", "第{n:02d}集", "EP{n}"],
            "女孩 男孩 女儿 儿子 女士 先生",
            "中国人 日本人 韩国人 泰国人",
            "小明 王芳 李伟 张静 刘洋",
            ["{n}年级", "{n}岁生日"],
        ),
        _v(
            "ja",
            "japanese",
            "映画 ドラマ 歌 カラオケ アニメ ニュース 写真 動画 旅行",
            "結婚式 誕生日 学校 夏休み 家族 講義 卒業式 運動会 入学式 文化祭",
            "字幕 吹替 前編 後編",
            ["第{n}話", "#{n}", "EP{n}"],
            "女の子 男の子 娘 息子 女性 男性",
            "日本人 中国人 韓国人 タイ人",
            "花子 太郎 さくら 健太 陽子",
            ["{n}年生", "{n}歳の誕生日"],
        ),
        _v(
            "ru",
            "cyrillic",
            ["фильм", "сериал", "песня", "караоке", "мультфильм", "новости", "видео", "фото", "лекция"],
            ["свадьба", "день рождения", "школа", "каникулы", "отпуск", "семья", "выпускной", "Новый год", "юбилей", "дача"],
            ["дубляж", "русские субтитры", "HD"],
            ["сезон 1 серия {n}", "серия {n}", "часть {n}"],
            ["девочка", "мальчик", "дочь", "сын", "женщина", "мужчина"],
            ["русский", "украинский", "казахский", "японский"],
            ["Анна", "Иван", "Мария", "Дмитрий", "Ольга", "Сергей"],
            ["{n} класс", "{n} лет"],
        ),
        _v(
            "en",
            "latin",
            ["movie", "episode", "part", "song", "karaoke", "documentary", "cartoon", "news", "photos", "video"],
            [
                "wedding",
                "birthday",
                "school",
                "holiday",
                "vacation",
                "family",
                "lecture",
                "sermon",
                "graduation",
                "home video",
                "reunion",
            ],
            ["Official", "Full HD", "Remastered", "Extended"],
            ["S01E{n:02d}", "Episode {n}", "Part {n}"],
            ["girl", "boy", "daughter", "son", "woman", "man"],
            ["Thai", "Filipino", "Vietnamese", "Russian", "Japanese", "Chinese"],
            ["Anna", "John", "Maria", "David", "Sarah", "Michael"],
            ["grade {n}", "{n}th birthday", "age {n}"],
        ),
    ]
}

#: Latin release groups, codecs and sources shared by every language (scene naming).
GROUPS = ("GRP", "FLUX", "NTb", "SPARKS", "YIFY", "RARBG", "HorribleSubs", "Erai-raws")
SOURCES = ("WEB-DL", "WEBRip", "BluRay", "HDTV", "DVDRip", "BD")
RESOLUTIONS = ("480p", "720p", "1080p", "2160p")
CODECS = ("x264", "x265", "H.264", "HEVC", "XviD")
AUDIO = ("AAC", "FLAC", "AC3", "DTS", "MP3")
VIDEO_EXTENSIONS = ("mp4", "mkv", "avi", "mov", "wmv", "flv", "3gp")
AUDIO_EXTENSIONS = ("mp3", "flac", "m4a", "wav", "ogg")
DOCUMENT_EXTENSIONS = ("pdf", "docx", "pptx", "txt")
SOFTWARE = ("Office", "PhotoEditor", "MediaPlayer", "Antivirus", "Driver", "Game", "Browser")
FOLDERS = ("Videos", "Downloads", "Music", "Pictures", "Documents", "Shared", "incoming", "New folder")
USERS = ("user", "admin", "pc", "home", "owner")
#: Device and messaging defaults (camera counters, WhatsApp and Telegram names).
CAMERA_PATTERNS = ("IMG_{n:04d}", "DSC_{n:04d}", "DSC{n:05d}", "P101{n:04d}", "MVI_{n:04d}", "GOPR{n:04d}", "DJI_{n:04d}")
CAMERA_EXTENSIONS = ("JPG", "jpg", "MOV", "MP4", "png")
PHOTO_EXTENSIONS = ("jpg", "jpeg", "png", "heic", "mp4")
SOFTWARE_TAGS = ("setup", "portable", "x64")
SOFTWARE_EXTENSIONS = ("exe", "zip", "msi", "apk")
LECTURE_EXTENSIONS = ("mp4", "mp3", "pdf")
FIXED_WORDS = ("IMG", "VID", "WA", "photo", "karaoke", "C:", "Users", "home", "字幕组", "1080P")


def structural_tokens() -> frozenset[str]:
    """Normalised tokens of the fixed naming material (release tags, codecs, folders, device
    defaults, episode formats, closed-class identity words): every split shares them, so no real
    item may contain one."""
    from icop.text.normalize import norm_view

    fixed = [*GROUPS, *SOURCES, *RESOLUTIONS, *CODECS, *AUDIO, *VIDEO_EXTENSIONS, *AUDIO_EXTENSIONS, *DOCUMENT_EXTENSIONS,
             *SOFTWARE, *FOLDERS, *USERS, *CAMERA_PATTERNS, *CAMERA_EXTENSIONS, *PHOTO_EXTENSIONS, *SOFTWARE_TAGS,
             *SOFTWARE_EXTENSIONS, *LECTURE_EXTENSIONS, *FIXED_WORDS]  # fmt: skip
    for v in VOCABULARIES.values():
        fixed += [*v.tags, *v.episode, *v.ages, *v.gender, *v.nationality]
    tokens = {t for text in fixed for t in norm_view(text.replace("{n}", " ").replace("{n:02d}", " ")).split()}
    return frozenset(t for t in tokens if not t.isdigit())
