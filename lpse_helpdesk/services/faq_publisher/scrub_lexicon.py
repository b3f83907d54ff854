"""Words the FAQ scrubber must not mistake for a name, a company or a secret.

After "Pak", "Bu", "PT" or "password" comes a name or a value most of the time, but helpdesk
text also says "Bapak Kepala LPSE", "terima kasih pak, sudah bisa", "reset password akun PPK".
A word listed here ends a name and is never taken as one. Adjectives that companies are named
with (jaya, abadi, mandiri, makmur, bersama, ...) are deliberately absent.
"""

from __future__ import annotations

# Function words, helpdesk verbs and time words, lower case.
_COMMON = """
ada adalah agar akan aku akun alamat anda apa apabila apakah atas atau bagaimana bahwa baik
baru bawah begitu belum benar berapa berhasil berikut bersedia besok bila bilang bisa boleh
buat bukan cara coba cuma dalam dan dapat dari daripada dengan depan di dia diminta dimana
dong dulu enggak gagal hari harus hingga ia ialah ingin ini itu jadi jam jika juga kalau kami
kamu kan karena ke kemarin kembali kenapa kepada ketika kini kita kok kurang lagi lain lalu
lama langsung lebih lewat lupa mau masih melalui memang mengapa menjadi mereka minggu minta
mohon mungkin nanti nih oleh pada padahal pagi para per perlu pernah pula punya saat saja
salah sama sampai sang saya sebagai sebelum sedang sejak sekali sekarang selaku selalu
selesai semua sendiri sesuai setelah siang silakan sini situ sore subuh sudah supaya tadi
tak tanpa tapi telah tentang terima kasih terus tetapi tidak tiap tolong tunggu untuk waktu
yang ya yaitu yakni juga pun lah kah nya sebab serta tersebut sedangkan bahkan hanya masing
malam besok lusa senin selasa rabu kamis jumat sabtu minggu tanggal bulan tahun
ada sudah telah belum sempat terus segera harap kirim kirimkan dikirim mengirim terkirim
login masuk keluar daftar mendaftar registrasi reset ganti diganti mengganti ubah diubah upload
unggah diunggah download unduh buka dibuka klik cek dicek periksa diperiksa coba dicoba
hubungi menghubungi dihubungi telepon telp tlp email surel wa whatsapp chat balas dibalas
bantu bantuan membantu dibantu mohon info informasi tanya bertanya jawab menjawab dijawab
tolak ditolak diterima terima setuju disetujui proses diproses verifikasi diverifikasi
aktif aktifkan diaktifkan aktivasi nonaktif blokir terblokir kunci terkunci buka salam hormat
selamat maaf permisi halo hai assalamualaikum bapak ibu pak bu sdr sdri saudara saudari mas
mbak mba kak tim staf staff bagian divisi unit kantor pusat cabang loket ruang
""".split()
# Roles, offices and systems that follow "Bapak"/"Ibu" or a company form in ordinary text.
_ROLES = """
admin administrator agen anggota asisten auditor bendahara bupati camat direktur direksi
direktorat dinas badan biro sekretariat sekretaris sekda kepala kadis kabid kabag kasi kasubag
kasubbag kasie ketua wakil lurah manajer manager menteri gubernur walikota wali kota kabupaten
provinsi kecamatan kelurahan desa pimpinan pemilik owner operator pegawai pejabat pengadaan
penyedia pelaksana pengawas pokja ppk pp pa kpa pptk ppspm panitia verifikator helpdesk
inspektorat inspektur komisaris konsultan kontraktor vendor rekanan mitra peserta pemenang
pengguna user lpse ukpbj lkpp spse sikap inaproc bsre katalog ekatalog e-katalog toko daring
tender lelang paket kontrak dokumen penawaran kualifikasi sanggah sanggahan jaminan berkas
nik nip npwp ktp nib sbu siup tdp akta rekening bank no nomor kode password sandi otp pin
sertifikat sistem aplikasi server halaman menu fitur tenaga ahli pt cv ud pd koperasi yayasan
firma perusahaan instansi pemerintah negeri swasta daerah kota pusat nasional republik
indonesia tersebut bersangkutan terkait sekalian semuanya
""".split()

# Chat-style words and spellings that follow "pak"/"bu" in lower case: "oke pak siap".
_CHAT = """
siap oke ok okey okay sip baik gimana gmn bgmn gmana knp kenapa kapan dimana mana yg sy tdk
gak ga gk nggak ngga enggak udah udh sdh dah blm blom bs bsa bisakah mhn tlg utk dgn krn
tp trus jg aja kalo liat makasih mksh thanks thx trims tq izin ijin numpang mengganggu ganggu
nanya tanya nih tuh deh dong sih kah lho loh yah iya yaa ya ok sekalian semoga insyaallah
tetap sy sudahkah apakah apa siapa berapa kah mohonn tolongin bantuin segera langsung kok
""".split()

STOP: frozenset[str] = frozenset(_COMMON) | frozenset(_ROLES) | frozenset(_CHAT)
# Forms of address end a person's name ("Bapak Ibu sekalian") but may be part of a company's
# ("CV Dua Saudara").
HONORIFICS: frozenset[str] = frozenset(
    "bapak bpk pak ibu bu sdr sdri saudara saudari mas mbak mba kak tn ny nn".split())
# Words of STOP that companies are often named with: "CV Cahaya Baru", "PT Bank ...".
COMPANY_STOP: frozenset[str] = STOP - HONORIFICS - frozenset("""
baru lama mitra agen pusat nasional indonesia daerah negeri republik bank sistem konsultan
kontraktor pengadaan aplikasi kota cabang unit swasta""".split())

# Titles written before or after a name: kept out of the name itself, never a name alone.
TITLES: frozenset[str] = frozenset("""
h hj dr dra drs ir prof kh ust ustadz ustadzah st se sh mh mm mt msi ssi skom mkom spd mpd
sag amd amdkom sip sap mba mpa ak cpa spt ssos psi sked bsc msc phd tn ny nn
""".split())

# Company forms: what comes after them is a company's name, not a person's.
COMPANY_FORMS: frozenset[str] = frozenset(
    "pt p.t p.t. cv c.v c.v. ud u.d u.d. pd fa firma koperasi kop ksu ksp kud yayasan".split())


def bare(word: str) -> str:
    """The word as the lists spell it: lower case, without surrounding punctuation or dots."""
    return word.strip(".,;:!?()[]{}\"'“”‘’").replace(".", "").lower()
