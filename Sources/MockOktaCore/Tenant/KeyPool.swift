// Generated once with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048` (scripts in the commit message).
// A pool of pre-generated RSA-2048 test keys so the default tenant starts in milliseconds: a tenant's seed picks
// its keys from the pool deterministically (same seed, same keys). These keys are public by construction:
// they sign tokens for a mock org only. Keys made at run time (rotateSigningKey) are derived from the seed instead.
public enum KeyPool {
    static let pems: [String] = [
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCA9bHiRzH8OrDX
        HKHe3ieKlgWYkgwllfGQ8fQbSMfBVXFMkZhN4/6deWWuLOkFyS73kSaTFm59P5Vk
        ZT8WoXrnNN7eeqSigladsgiAkDyFIH5VTcapv5Zs898V8CEZgPN6vuLdWTlhKUW4
        eveQjI/Fom2kO8j+lXzJq/AZrMlb+70j4zII+YvrmF3UTnP4NkY0ODb4+zpGC1TQ
        H2/H9VvpbdchY5E/wmIX1jorLbwKo/RMANXa3+FsqESwfGYWob2LS3R5/kWqej+x
        e69hB8nROYnNFxARFq2XW0hhorptmRU33SRX4oeFHu4skHLjEla1n2MwTcIgfsrP
        D9Tn1sTrAgMBAAECggEADlfFPg5/D7eTXYlws3Hv4ekHnE16DmAb6uwOI0638NfI
        7yQuVVNrSSZsWa/jBuK2V5CMQsW26jU9L1pXZvP00Gw/8WygjPaEHavkaDAimwff
        JSuuUcjeOSXyhOUdOVHvQpKids3qpNTLTVZX3HrVrrx/B0oi87W6mE+IN8LQ7mrr
        1pmVNCweMrJribqGz2bYnqx/eaBkDOswSId6oE/UNwh9ybK+y6Okm/r2Lu8iT4b7
        hiH5E6BdHHEJHlLRdW97rHNA8Ab0ghk79VVBcVbf1bk07hcwGer6J3eR0/FUggNB
        JxaxwFRJcGJ1PID7EIW/ejStj3tjh6IRlqTmU6kHyQKBgQC2G17CeO3PJytqohos
        EkJByg1dgsqTBrlrOAh0V+LBrLHEgBI9o+ZChi5vsolkhX/Kd1eDli0W1Xc0Yj0v
        Znezlo5ItgISgmuAYyKKurfMdBh1Yco9+aFdj+seglgBzGYcB2V6vkh3tyzne5ch
        mOwtItBGwKoLXaCOy6kVIWVZDQKBgQC1SZUgF213nqX6mfxZQDEyr70f+yoY0bKY
        OknwGdVnCPnbjZiJFdI12WNwWnYmC8BYtrhzitsDvW8Ih/0fbclqgdMAu2JZZt0e
        ZRlw15yeVuBK/MTS5U1Xh4kf4TfPYFaUqOd1p5QrYuYiH1pWikmQlhHileN1eD/L
        P54Q/cgn1wKBgB0e41hV3jFyIg87PNQvV0kN9nUtpRc9zAjJPRDdvPUbmJHDqScS
        PpAExQg3lKDueDD4RJZWPX+ZQyatTvt1d07QlJAsCsjK8kXllHB6y0l2hzK+IIko
        khVUHlUSouAmv21cAW5PX2dFc3jQ2qoUui+9kXC+/nIy1qn/B1rJrFtBAoGBAItf
        FpalbDMadOBEogy7nRcqpGuB3MtX68W8ijtcoQOlkvGH2k0JyaI8joZCBbMaNbX+
        Q7AQgHBPop0cby1Kah7H0EAvz1yMCFLlxrlKCc5xW95KlcbNIri4KmOn8hAsMGP5
        tnhtbSwtzF9PW1RM3GGb/gQE1+nnmKPZNNw7PzXhAoGBALSEnF0kTQESWx4Mx8uN
        dLysLbUeB+5IGf3cUYdvrmbbStavx4Zhxa7M24kucw54QVoQPsV/8uWqPAIn/ysB
        dVu3dRYLuOOcQc9sVCj2j2zNIdGiaOJb1N/gfuX8VHGs5jAX8Umc4DxR8guRdvPq
        9Tb8GRvHi9420lA855yxf1pq
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDna+MwBq8omI3F
        6OLQDbc+Ur/fgSkh5Fsy1xtra3F94KH40FxQGKxzhFpjMXAx2GRKp0+UYZ44U9vt
        EcegPI32CED7U0KzxjJkTcSHhV42tU52/EpgjPKgBZPdBLjb2WgZhOUKgpZjODeL
        tSXreIdw60i2vtS29ITJ9Q/i7MoI7HBI4U4JJaxc53w676k0O2PMmrKAyEgSb0Sy
        VqPNbdopvEZbmuRd4JsC91Y9Yiu3KqvrwpjVGePyD69XyUsvnQyD1Q/lNlPXqbUl
        BBj2aC/nEm6nrkFe0610vUBaAgqMc5ng3txLUvy9bVyCfdNwb8tP6/YN7xu3papD
        XoE0NjJZAgMBAAECggEAL3d5Up84W6UIxUx6gy6hBINAEEWjjGxUiWXGHb8cuPMz
        fb+tA4/ABXSi/oAEMXEfRxGwuLBaHdcTf7l7HuJ0wr9YJsSh5JJVQS4TTrG8DJAd
        HzopvkqCtHBYbwe6K/vYho1z1jdJReIgwILgG39uFmroD/Wt1zXpq6vcfZDQcso6
        c2g7TGHYGNme11SlJvUCXIBF4VSAH/1Nk7UsPmrtRH0nCjezJC80ZA/qc0xpjotC
        jU/8aoyiygTE7O5A3ayb5j6UA0D4vjeKKs0vN3rN4XQPB4Sucutt62tF71rKyNUW
        9ttmbwcn9ps9YopBUIo1k04b/pM5p9AEEONu8A7/JQKBgQD3t3Au1fn3i6Ep/6Wb
        tM8CZekx7UpzE9jq3LibbQdQ6rfDmZ4Eeh+naXFjJUCFVhGJLAJdSYoyb2bP0ivx
        osPyhMld2kacuxtaZa8tEMX8pUpFDdsX/1Q1MLY52CbfXCGTLN9vswpLxtZF5OWk
        HE0FiG/1GEvSaLaWiuub6luWFQKBgQDvKPS10LtrtjQiiScWZPGav50wWXmWAVX5
        hswUDJBOegYHbbKErbab54+8+bXop50aL+rIdEiDXhfescewf7jfSPs6ByWXj5Q8
        lYNSqFpczpfBs9hVMnXNlAFwS+/getbCnZNU/ZuuqwvtFEH1j6/zleiA8bEDVC/Y
        PecVk2egNQKBgQDEWldGCL53Berdy5KN9agREo7h0GGvDhBnOkXqjWW7MhIvrVif
        292zadVC7YhTKIIF5SiKoXw1tjAck0/Z3VbMqYykJBzMp1NrOCa+5gjJ1oskaXM9
        dlpdPxtyhm9ppTHH403I0HZc0mOOS33rs7Mpq5hzAqs3QWFZuww/LmkicQKBgBLZ
        KngNzEeP44n5PzBfoj7s7Ql7c76juk/hFMJbvx/ANCtvtMsKGcMtu8FL+M8uLo56
        ykkkCPb5em4dmrxJRJusV8hZ+dd5BFjF+8SO6hg4W/NzJhCI2onqKTbddTk+1SAf
        ZRYkqplYd6cmmpAs09Qhs2I+KhI2F1M2hbjIljklAoGALKMtbJtGn54Cn7epTLux
        KkdjuzqNwLKtn5aQwFk9mP6rWc0Tj+nU7qoelnw3fTKunRWznk4ti1+sQDMkvq4e
        gQxhvbCB3sc4Vk8ZzRR64URzEOS5/uvJv23Hd8Av1NfM0Sq9J7D5k9qw7qRy1V+9
        PT0cexpNOt7QgRxRyHiAc1c=
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEuwIBADANBgkqhkiG9w0BAQEFAASCBKUwggShAgEAAoIBAQDPRdGhmsx7BKrs
        D9dCm8khrt563EGo9JrsqIPf655SKWt0XaaWQN4IOgWa9Yh0XRJ0KrKab5uHAekR
        FNE6RMLfasCyNXkdnaX1HGUrTd1ic4PpqHg2vu9ABLxzo3mbSo74gyRQGLhmMfNP
        SNVNLqSxiQLKSqSYpldBFkyaWneDZfZcMhq4nEJvehzR8LfV4ksitVfzHaB1/kFO
        JX7ASQOVIMk1gG5BPzsA4iLVzLQs2Qog3w4KSfiQQar0wTmL1teRlq05883Aw+po
        hT7rCtOfRzP5//QlBJ6hdV9nz2ha3b3MZiR5aSb8Z1JteqXzi/NcSQ2ZkhWxjJ/a
        mcJXMUsLAgMBAAECgf8b+YVaba1yGS8tb1/TM68MPd079ZjDwi4d5iUA1gn6+zI2
        GH9ail3oz/2ZaBdslE9cDvR2BuDTjOE3bPjzgznSyk8UXT205OGS4/uXcrXy6/yb
        NGhUovTlVschYZ+Drld6O+Cqy38yS9IyrEC8k/j164gK8Z4q/CURQrNsVrfKq7oU
        8BLbCPQQF/JasRmGyy4cZpDVbaZ5XKHoXdYUZQTkxkhvtPkuXtcLq8+6qCnrTuVl
        TI+b1tx3IqfHfdV/mtFhKkhIhw+WBBlN/l3GB9KJw64zDFK5qDbuAlVAAGfwrqyf
        BR7O+KwBfVwtOeaE69wyeOrrlFElD6eUu7LqBcECgYEA7v53r0muM5PsBJo79fr5
        jXn+/0DAlRU4mZc9arFRC1gS+qUeASVchwUB6bOShf2Ug24Oed9r6rOCSC2echl8
        +dN7VgTQ5114lHOXBtUJ67BomICtG+QilbGW2t+8ufxOaAp3dMIJdaCPEhFuMvgT
        4FIJjJ2bpNiv955fW0OBQXsCgYEA3gWDnYHMN0Q2pYGqftUObWAxlpO/p3BEWtv1
        umWoSqtry7lWcsrnJSYTnSFP7JlgNdvHs8PAAF0HTjRrIz3KfgzsR+Bx2cs4NbBJ
        DmC7VzNWFuNRhyd7AgjIYy+/5XnA8irnZ2gA7Iuzj3pzmzEqJliE6aLyYkjGYhKF
        OzDVf7ECgYBju9OMVc4ZfhBPN2HwW6TKkm+Ea6wySqHNDp01qfttJXr+F+u2hLXh
        LojG0wZBXjocws/Nshvh3Llwj4EAknxh8QwWMHpRIuOP59DNrBewwHRVt9UFv6Vj
        HLIccqPaZVz+8+c31UWHTdKGsrlvEbGRugp8IMVz/G0qg2+9sST+gwKBgBe9vzU4
        i/3c7XsFQpYNcl1/y82uPvBIsQaGPuCPvk89xWkjiHr993mheLd0uHc0b3VS6yft
        5rojOITEVjCOivivqRSGi6YedQRItYc0ENRiSPJpnG43ao/tIIB6uqpvOpKqw9Pq
        6y5gQfM1xObzeu5eyNey9PhNj+ks0dJihnIBAoGBAKEBB0ve2arVuaEHcwOjfMhp
        X7FaoUXyIMytcdU+PJwHzb3WOnpWIQeJLfsvU6NbLxCODAe7t0qOQr0reeoLyKzw
        hmDJwnkD+l/Cy6NfnXkDHjWQUY9uGnPNENBglr6wmSCwJFQxezEQbvi7tPDa7LTr
        Pl7Tuw3R6gpU7kmQTdNJ
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDQ+PlHj267DnWv
        pBsvj3rdWVPxqwC2XlnKxHyzJjd0+XJKq58koU5vri9yB0Z1o+E8+xr5hQ4XVtd4
        v2JMLa5fsfbB/o4YiZm75WgJmZV2ERMQn49w23Lz416lHjycEwENzW93BTDZAAiH
        j+Wm4RSDgL1ABvzzKYe7qkqgeR5kF8dsZbrs4EiN6Oj59VkAhOVpi3iR2SEV6ysU
        L3F3CpCQ7GvulS41Yp2Fem2csmfh5LGHAhB3e1oD65kAuT0NwJtScHg+q3qH2t2F
        I4TOwwQncKf9WQcO5jTb17HnZ9nOw8p3mG5+BIDNuWaMSNs//UpZkdrexsJj2j6u
        1PZAZnwRAgMBAAECggEADxIttD4Bb+cqkKjGtybjZwxWtAKvsfdbBXcnQSpb7IlC
        92SqPROPGxnWXSRuLfTMPUAk4WL5sbA3KQOwfKr8vPUSRUptCBMAbd8tIigb8eBo
        XhYL28lP4IwA2uqz11O9izfKNqy+qZ/JfbFgkCkCeDt0KqZ2Xrkbi2rMKAekK/az
        pWXCSW9o7nec0ZOv0fUce9QYAUlAsfgwfDQh94EKElo7akbD/2JbbTCnTi9eZm5E
        BofmGJpy3mznN3QZJ+eTPwmuPZhzaEf+jGtJgISfH+cEvM96vzYSinXPIZNmG9oH
        VTpFsQsKBCQxMEgoalz9646MjUq43p5VA1WYMjtp0wKBgQD1OlfBKlz6zCblYnv9
        RF9Jonbx0GCJgqZODjztEODrqvfqiJq80H8hgo94bi/TUyNsQRHAUTrv9d1+KQ8t
        MKyqR2u7JBzDRGOGMmN5kZFcoDN41RZ2OuJlFCVde5/JQKwSOhSkEFHv6do7fQhH
        rj67EHd96cTRRlDeN0hzTBcEYwKBgQDaJu3mvPpHgfqZO6QSOnVCCIgXbkpPoppx
        YXLmj8Jg++2/agfcRqx3IlrbrgbXTAR9Jy2sK/aefcA8//G9iT+kiDg0i2wUI9cq
        BVVf7tdGtg4OGabDfK/0QcKnpfNblXp5shE2w49bZQnbjNY3oII79B+VfAU1v4a+
        KNFL6EfF+wKBgH5iQzfajXD0JleyGhS9WB6rDIIz0o0MOImh7OSA/mp3Aq5tGNKW
        4e5zS13V6/ANuQPhxTRIqQdiv3R11MyFeXeIt40LX4eDh4dyELJmw3PpXJ25tIna
        bzOI3nj/bapbGlOKe3jSsGflLgPavJm0w7/FDNBn2nfAtYzRERXa8UHhAoGBAIUK
        eMvfNEOn4UzSMp1rSVecHGMtv+QRJl8/LvOteL3s5nF2GJUeBNAjA4Y1+7YRhitN
        WW1G4oCF8FdDQAp3SXjuGljxLliaAv59gjOfVWqqXKf8vNc7k5NDB5N2gZO49ZiC
        ID1lxmfWlsxud7Y1DTfDCgAAQq0kwOf3vKyuXBdBAoGBAKntJlqxYx/vYXV3kysm
        1m4tETwM6ii55YMLwDyTG0GWb8lTGIqRB0LfllnhVMDwqJSkBHPohbSNZ+lB+i3E
        zBo7r/7qOSuxZ00R6sV9mIVmoJseNrcMDcIL2A8KatWR0AkG76nxiD47kvQ/VOEm
        s/UYnn0+dMdty/lgOIL11B1B
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCasg7TtkIshJPC
        wu2iMFScd5jDgZjJnDrNzI2ac2aPbA0pScyydp2oBOSHohz4u3nJxgeX9nWMREkz
        zFdgAWOV2LoHstrMBa/RKyHva27F4/358ewgGlihxYBJHeGvjGEuIF0CEr9cWd7y
        X+YkHqubrnR/XKXU0qVc/mftCcXAz3crpodouNkYi6uWU5YFjzRwVtt7IROoK3kr
        m6E/NE2nMi9JjlZzfdrnV+14tiuk3GgIXBgF2lrpxSDTDm7nlkRiI3TtJBmlUY4j
        zNgXwteTAzrDkcFrMeDYQYQDsgyOeNgOvLzUsyaocn+yiCsYBy760pCMQLMxPXBn
        hkaBYiT7AgMBAAECggEAPbpFTleQykDQ0UuFFU3hxVm3vHOvKuvLTymLa5EW4K4G
        Bm6rXp8UQ+JH6pNWqi3s6AW8K/gtaZ4p86BbUTTcrwN/H+lPg0/Vm0pxzR56Yj6a
        rqzJQvogWdT8XrCsyKbkdEp3socWktxNqTt5EvqmEYYoeFXY2jZ/w77Ea4KVxVyk
        0L7sWmw9WcoiBLT1cx8S3sgi9eJAhFI4SdctK4r9hUc0jkZiCV7JuSPSdSlT7pwc
        5Cy8Utu1x6gNGBaKSKHr0wU9PuDCYMnqCPdqL0RbHU9fp3/GiQs1GYatLRoRek0G
        pl6xVDIVmzb1WHy/4DwpN8wg4jba6Ry91cW2wYp1KQKBgQDN9MOt2tmDnNZkNDlQ
        aHVSVfjpUCWw6QscpV8fwj3O/eAepC2a2s+kN+uhZodhDYIxEg82bVqS8WF4UqQh
        w8qsq3UeWlors8LDXSfLvtM27SApUM6jfCEokJVW79rm1feDyy2kIPcxEq6pdGGt
        lF+nX3bXVkjtpj7Lw5r7WXknVQKBgQDASLIHlID1HfiIgNJZMQWomiCHyZEKZv70
        URDsemgCyPPVuDGJGIfPLIPiLimmrMVdDKmoytheOQAVeYl1AArxy5mhlnCti1DC
        TzN4pkkqoac5/K3uu0rO4tXNmEcIi4S3fAAveRyhbupfM1UN75xHAfdi4qnY/B0M
        mP+o8dd7DwKBgFPVv1VkkUfurqJpU680ZhVW45RtSHpj0l8dvcPauHgqhXFTmTDA
        wubw0FyJtK+/5O/+juyzxLutv+RPl3obDcQNowXw92V0reICaHGaQrXH/mBzATox
        C/pMKE4UIoH2NOOT8AcwWA7EsQ5PTnduvyUNSf3LpLIACu28uLh5qkRlAoGAC5DT
        1IzkLNo+psdI38CJHJkYt9Ix/TQwxbVSlUbPlstLj2Fi6WImWRnOXP511uaxgGVQ
        lyyMUy6OiLwkvnrgLacXeJa59FZa5zUoXWtzHzNWAbDnLWLqnwMZ5SHxs9vggcDd
        qf1Y8YTgaBWIWiw9dC/0F2iW2sxfWvChACJ72ZUCgYAPIopq5NT9C3BLppC2KUNK
        n9S0bm/WntQUhw7ZC/HdQYQhqFVXx0IEwiTEcJBvyMpG0JvmqMiGDrjMKbbTi4pq
        laKQ8lPNGvUSRFElYVfOelhJdgNnSJqwEKnDbB9n4Cf7vNXzgFAttxpwvkLZXRKs
        oATrabaOQrjCV3/LDmqsFA==
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDB3EIYL/lOcy8G
        PKdMP03pAX1zHJpah9fBYTa2jOyBiPDyx7jCfFc446rWrDcZjDis9S/N/lT/ga9+
        UqWgVVm7GrX+U8wY7eyrxSLdXakPcfbE+gquA5KtKWuWjSfbuEBv9mFkUj/sOccC
        Upp6xb8Cdhu/uBEv4F3vvOxyj+de0QJPakkMNxVJGgzexwXOhz5RXBjDKGBYXKR1
        iZVCNt+1DJW6dgRBxJuIxYYPKE+pE7UEFh/aQ+HnSLjUSzxUvwnltofe+zUuAf+3
        yTfbtVGvhS2OWgNt5rMq9y90uH4LvAUOVEwsRZxyXokQLOZXqnk0dRnsaPcuw53/
        /wIiJVCLAgMBAAECggEAGNIBWQUaEiwXgGDB+guoMdB3MNv1JpPPkRqdaDL+fDk9
        wZUboomhReSJn3xOKQRgee3XJd8jH9GJWA7vK2oyF7gRnBM7hZI/eTXqGFXhCtwI
        VcDpHs17TpYH3dngbrZrnZ95vwqe1OOy3KkZzo/vPDqbTpPGXjmyR+W0OkNoF/tI
        6xYNRL1fcmh4bPCI7duApszg9pQhqOgnduqCVaSl7dyiMxg3oakRelvRpve9S6yX
        NHp4YLwtA6eMqALXjFm96onnHtZ3PU83GscndZWJORnc4GXr7sDRSEvcEnKhl7KI
        zr1Y9eDHDYspa9OY+R7eH2CTOjg3c0i8TQENP1dXNQKBgQD4s4asIz+Y08uZxmOs
        idrwVuS+T8HUiz5DTj5upAeGY4xYWN5DgCjOGRcGBqGd5J05k3bVLyALbt3hrIKW
        UZSpp2kuQvGNNXtrXgRM+EfsHmwUrlRinab7MX07yxULHLSp57YfHL+P/uoWKezu
        PnZF1WP1vArqYKPtUftdMLkhpQKBgQDHjLd1wJvKD4ocYo2Bs6IQNTDjgseQZuRj
        1hAXk8GejJXyBVrf4oB8uHaPh0lEBGyhnYgsydNoPBADr+6ydFD83D6/E6R2x/dV
        wrqsov3PIWkNlCApTW/bQAup/kKv2JXLZaVPI0/bERIL8L/pZCz3s9yupGQ+S+8k
        Ut8kZ5+ybwKBgQDpB1YVrsVlTnZEdOZqAZV6gwC77YGBxKKncAYBp4JBgr86/LHt
        74TMcCfphociqdZD34+F+yz8aXpPfVOyw2gXevyL0z///u/Qz3waHr1NWcgNrLb2
        3B9c2KcuQoBKNDB3ztwP1OENbF4sPEZ7iV1K28JYu0RDDiArOxja3c9p3QKBgQCM
        5A2kVhmo0M/yuqKusOX8C5I5EF1W107qLnmuK+TIzPoRpzZCXOnbJWKQdDSGkZkh
        gthixx08uyuTbuRZm0aTQe4LexLjyswXASZMPch2NmC19Z+/ia0wYEfb/mmXPpSE
        x3+wIH6BbcwQIitd3hzhx1xI8kjUs0hlnR1v1roqgQKBgAXW5bH9oCG6Upm2keNV
        m2cc1rJPZgueY7BLY7IHJWEl9Rc875F+tC60CjqUfqiphL9uLJhewr98B+gjw6mI
        O8pPiBweDMBfW7ZCAwADiPQzZ3GBiLP7coDVegQ/U1MC2IdhDNby3/Y7dWLaqVhH
        91GN4ifA+FC0TgajiF6xMSs/
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDcgkXjxoLHAR6M
        yB8rIrIHj98S/fxFKcUCVmZcbkTHQJAdi0ADJv9UvqTTIJ8Y//8cNeBF73UtoQzv
        iPxRZndomvU1z/DyCER3VdJTvOuswmtF5NJ1cmf3Cz23FUhXBZ+ERb/j/ak/WzaA
        IiaLT1L6TDfkTRElkVj4ioR5TEqgmgpc7R/AtwWiPOEQfpidkFW8EezG6JgXPJwk
        5ngDszmd0VepYBiP5cBETsQtx7akiDtGGVhALWu64CqU5Hva2BjpQE3+xqsw9LkP
        lbPMQnsPWxEIw+a21Ic7WAecujTRkV9dJKfz4tEPC3uIioq5eJ+U0V2R/6uNM8QF
        oPAmJ+GXAgMBAAECggEAYUl+sVxrZYaaZm2CxuLDXi+9MWFqlE818u6QsdYatThI
        fShrQRjLDSYhjV62ou6LLPSeMuzPq6aDEQnEnNtS8o1vg2LvgLFiF65/Id/XsPyE
        HK20pwmnUekdPPIAXRiHhPHLFDldmyzQkl6+17bTOsg23pyb5JHIibt/cA7XXBxY
        jXkUC+glvAhMcx0Q7QSEvuxkTwc19iQS6k27p7YTLZvexfihMvN+ZhjV8/IslYh/
        M2jYi63pA219yfq3BfWSQRiVEe/FKPmAYYvAHvkxhTbGZ/pkLrM9zvkAtsYIq0st
        bbMUyLqvJSVkHrelUAA7EpwklNXqv77PmXIfehQHhQKBgQD2TNrl1kiO+arG7rJS
        hJkUNLRCWRaFnd8KOtKi6zVIBc/lX/ibqNqD6JpYhyg2UXvUyn10GwNMyVhXWc97
        T7ZyJZcBQ5oajkQ0aoe1g1Df5JMRQAY3TzQCh/dXVlBY0JLvZcWVT1nUXGnUAEZv
        XuctCmOpjygKdRbIlpip9O3jpQKBgQDlMWUz7SXaaC+3Mn7w4Cb3Vvz0cAwQXSF6
        v/EC3qc4eYtKYnKg9n8NXdB1rxzUU41o57iPUVhHIuBmYkAvm6/gDPVCLEbmQMDF
        NtsmRmrto9pTQkgiIU2HOf2ojVxAdHcO3VLgg8o+jHDVM/1mqXaG8gqVnLXoxI5V
        OJx0Y5l7iwKBgE5T/sFdNlIR4FfHjXpkpPIiGLmI73qqzEXKkzYwqw8umgEOVlfa
        iTOuA3fn88fifgkcJG2KMbB3z9pnu24x2YnPnohOYXHUkKhCwMne6xdo78Rqog9w
        5s9vQh/KWV8FZdUwfnePdrfsc9NyCvRcMBTI2w0Pc+JvfkFoc0CJniXpAoGAWmpY
        IFoHuterKzxSc7gZ5y178Ppa6AG1eXVLIPSxR0g7uQaJbhKQILfHywVf/CtR9/ai
        CnfuuXF60SklZSKoCV1TS92nwqH86lAvuDPDbyhassnNJxm4OgaYmOvbXtoTNdv+
        G/Ah0vcYdCNkbiGgTrAhmNAPu1n/RINmxUudeu0CgYEA1K8mcau2EIHsuSdhXYMW
        ngykWlpldsxajpLWBUyg6k5wilNWtg2vw9kYFBeZgA5khghymmprdLJeq31ANvEQ
        Nkq9kcsyTo2m1KXypYCPzzvS90dtTddfBnflFeaUJWx7MlNSOdJ1HJuGqf/65CMX
        4ZL+Pa4JV++DyFHShG3xxPg=
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCbOw5A+MoYb+rF
        oNi3rm3PPXNvfzulgHs+ExIorOzA3bZ6Hhg7Sbl896qSMN1CUUXJUYhy2CBjxqz/
        6FtQ2X0qht/9CUJZ0fUK1yTtqLIZfbT+ZM+RbHbQl971FIZpyTyyvRbaewOQUHTG
        M2NH5Oaqe5zGo5b9uej7AseDjyeOhm2++SOm067e5HAzptfAZ/ub2puwItMoZAHQ
        GL6HBUwkLNUs1/0LwuCbQ+48XoO97r7M5nm5HwAm/gLT//sH9trZv32BoabrWgHO
        93GHqBwvPpLIlypJR6O7GplmIow9TMw4IKxjy6c6LhAtIZEJc0C5EdrNCydxQlzW
        z0lKi09ZAgMBAAECggEAP84ka7xXhXfrLlSQ/98or7h4jGnl4H9RKRC5tBJwNk5r
        xQI9v5DsN1uttu1y5OF3J+rlhR8lIR322jFt52ueMS7DPsThiv3sFQqd2TowCp5L
        GQ3i68mDhPYH5QEMxsq6slVa4W8S5ezMMvPIaTLDRWwN4vA3Dg+ung5kZ8Ud40zm
        KUCdWWKiKZRnZOWEzJUC0fitLzIWczRDbE4oVSa5S1gOS0qOqMZfXjcm4fFkXgMp
        qZ2dXoyfBCJL5XSBWz8kx6yKrbEH4+3Pf0YrgFzuSzHP6O68ZHlnzTTzKA99chmW
        xnATWyEZxyQhawUKxUkj/I3M/uSY5Em9/ewQN9dTqQKBgQDPZz71URoRirW/D1U1
        BUfGMephNSH2ljV4uXzmHlA0Hp7TO1bx9X7Dytq/GvUm3Cr7yr0oym7tAnNaN6IJ
        KdRrFM2RNw0GtVpqAjDoBTngCRLxjByvNTjxrb9z4NJWFbl9ZiwCjcwrT28EYq7q
        /o7/KgeDhpznACnB8SLXFBlhEwKBgQC/mlGtTIuHIIk67WtMJ6fE+vuLnvOnxwNs
        LIIkcSfBp6/wFVeqmMZOdCq3y++t+EEEtPaimipeD0LBoDi0AOlvftYJdtmHXDRc
        Wx6C6L0zf/nD1xdPiq334GrS1RjP3Wu6Uj4DCp95GgkcB9DY64zyV5TFM+cxXHLr
        +4fbakfHYwKBgDo3pPh/V23tHa8Pwr8rSEZd5Ih8vZfV+hR1HJYLlD/NCJAKbBFm
        87pJyrUx//Z0fqxG8GnuyMxGj9KXIyinUTTtlfZZGZL0fPicvNWkAebdJTAgQDz+
        F4nfV4pTZTc8yeBlOZ1N6C2QEn2MpcTYx5LgXVOSCaDd7tq9sSXmQml5AoGANAKx
        9Tb4ESA14DcejzechQ4URlxJi9usBCs40KeewSTBz4wblgWOnzFNf0LutuzSyXJO
        GOl8YrgFyQWzHrm4pDlr5HnMpr/SvtdFOwfuhBJTPGQgwcjFXKoglUafS52xZox4
        pN63V2pH2sIMYTXfttErYzSpp26PC5vlzxvUjD0CgYEAydSYXXBbNOjY1fj27sEb
        qu6fXnRVSLJoyuZx3GznP58Aj5DQPCVcZigStBfhEWekVghifEabS4I/t2kY6NK/
        1tnf8Oo6wGD9yaS1gKdtqBuUU+EIqhCVmliaFPrzOVxlOdulvVvuJgtoFEyxbZw8
        eMHPxSH4DZyKqc/96LiCsQk=
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQCc8/jRu4HMEu9L
        d0LCdH3gz7JZEBKJVZFSpZaDbSEHi8M3E9mjEVpyW12NMJMQ9bVQ3wCiX6UpEAxf
        gormtaa8ezqOaegBvNcNsnblTfsjl/DKFwpVxRHmuhdBB3ZyUbPgsSXu/bqB4hoZ
        l0Dec9ijyoors+FuKfycBl49aMKftHXDnrck7EKuKU/aTsGzU3S5Tjhf2UeDjoRb
        d2aD1+bk2lky8lMDD8UAdE2n+iuwsZiICV0glAIJC92t663xVT1tLTazWA8TwF/W
        7PokSiXY7FxE6xa9aDPc3FHEe4aLAuG2NxD58EoipNEOf3e+O13EV0LHa5/8LVUY
        Dck9P76xAgMBAAECggEAQpmuSEUiR1fzjdjeDcjDz30ix3MwAnG6WFEmpL9OiDaw
        0DLOo8kN0b/eWza0+TniRh5S1RPz8BA8x9yLl2mWhp1d1CexiOc6dDf6BsSH4Gst
        hHuxaYLV3Uuy6WfCxbDQvPQ+zgKBvXKVs61AnASZdatQ5UmPy6DqbcSwAavuBjkx
        XdcsaPmCQ72sbIqAGN6lgBQfCQNXit9RusDvQoDlfbLPiioKwFaZuV3svo3orm67
        KqtLtFNRoE+ZwnEWSGmYL6eJx6hcor0jX6d0HKOyqlo2/2RAboIA6w/VkRaA1lVH
        WqcD4dJQAYHhvF2G2297OO+FOmwEusWjEl1r6mUltwKBgQDVHhGugsGWSb54q/gT
        wPuS8GlBI7pn+VsC0JHyP0Mjn9cVG3A4YlPYJN0Drspme0b97ZqbpJh8NXbVpLu7
        9dD8CjWzgh2AsNkesxzSa2MXLDhebcNp7k4vhujBcbd3lk0UVxmd8XPDy0HMaH4p
        zDictnO1+BTzlp4MDj63iGbtNwKBgQC8iM5w5ebDJ7ZbMxSCWJdLkBv2gHQ9Yhp2
        KMhfuMj+qGy1QnzmKrnHnzOcZRi1W7d210IcP9HgqRLf1cth5x5O701sXGMp210j
        jizGEv+Yqhb/emE5ikN6qGqcz68FHLT6A6HRv/pEym3FxKJJuZiutDFmOvGfltaB
        R3sol8xnVwKBgQC079+BMwBasWdmGlL3qnusiDJEnKnRRrKPVDbk3fMJltZL1EzV
        gh2/P6TpUIgEtBtU0VrXU8omglnPDxpYfV4d7ikjq4+SyBK+bsFEoOmzLdb5zOUA
        1dNJpJeOTRbAEDqGz2AvaWSo0bOecQTURc+2tWzODL71BGZQw/NZbRQ9xwKBgQCj
        +bjTqKFUCy4nk/26gKLWLbikZIS0/qZVLpNX7bejBYnG/NT0uyRp4qVY2PTsh6DB
        0+bD+x3ncCXiWGhT9lf9/1QvcwssVIZlbjqy68MyXH00JpR5HzAhdmmDiX6Hy7f7
        2zza2UYqnoVrBOLBjJKnIEH20D1muCJIvor3e09kcQKBgQClnc7qzk0qtZs1XZ83
        nKEVbBejbtkOC3n4dywxSZYvFyJRP7WvkDfkuzYidj2XcnyuBKtAtJUgFUMtK7MA
        cJi7wA+Y+hnNGvZZISiTO3RXDGSkXCXNB6LmHKxHN5OU6pGZsY1vpWncgQxfV59f
        BIw4cRURriP9mjweIYNJylnugw==
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC866j1ec0/LlWx
        HVt8uMbdwBTIFaw8QJxeTnR3QS6A2u3gDfWb79yI6wnjDFutnCPEF6pySc3OPogI
        qHsEba6i1YMinSmubsPMHdbWfF0+h2MSvm8V08SO2Lg8khtp/fBlzJYnW1oOwTr1
        QEkCtjDvVgp6ncBpikDG/vQRDdZg8WP6UAmqA4NHJcnTUKitceUpYA1YWvVRTqk+
        030y8kdHrTE9wF44FhbWmTMpqvPTNMjwxJNK4TIyj/IF7bUriwgs+miJ/iC29uQI
        U6X1y56wBqfIku1Ov4WjLBsJlVqXS4S2i41zFpw6m4pJWQ8rWQhdirPDdhCDhztc
        S4FmxTWBAgMBAAECggEAJS7BuJzCNYD2Wy9ywfOxKlRjkrTXSx2RWStaV11kHHba
        cip1MH2PW4BdGAum4J7WWEIrKSbXA5SBnCii266FvGVHE9E4cq04yqwFzH26MXQe
        nwINpY9iRJYpfrxn+l7BSZvwYqsjaLuF0d7W79pxe62kztjNFcig8rmbyl59luMc
        myxHr9Jtu44/rpKQd9Oh1VQILKWEjL3RTHhCdEKlBK+7+vk1bt1EmepDWTTWuQpK
        O/DGBWMpgJm2D8j8slxDAO2Sc9hBqoDTnif3CdOjWjQ1lw/TvEw0AfHNNYdj8k33
        aqdgxLbk0BLsa7haW29rzjg9aeFpb4qK6DHS/zcwRQKBgQD25OyT0kROBhLk/6Nb
        BARHzlfOjyjI1WRoiDP1FoK2zXCZSeGky6Ytw/W32K1e2/HiQs1z5wpNpKUmuwSz
        YAquFn4BnUxk90C1pUm0NZUT3OwIanJ0pU/ZTIsy4w+Sczn+PQOTPTtVQeXseILG
        EOJPnKWQS1GS3epuBtFuDsGLzQKBgQDD418lew9GNCin/WKg78Iy7CkG/OIlsPak
        MznIfnUlTsMVKZjEEeqelC/Wrp6WEJc1zfQRJEaxRlSGcaAic3dky+KNJr4EtfZG
        OSuSLqrZ9RDVCcd7X5ohKgWAr+QMzqd20Cq5L2h2ZC47JisTKzBsmSQPeeR8/i9D
        YOJct4nkhQKBgCJDXM2a5Z3KW/7ptzrfUNTCPw9McMWGT7vuAv/lUtiZpCGxzh23
        oWVCh6wu5sh+T5At4yNNkfF6guzgEWPvVSwZtPz2Xm64nYNX3+WhdgHeq+bzFtU3
        R+CJLdwvBK83THoK758UZVKMpaLuin+AQlf4DkX7HeP65hjE23WhmJyVAoGBALLz
        HdKBrxx1PcbphZZ8MS6P65MEphvEpCyw11K/o4jngPPuQi6sJ2ei/GjksN9qXJi8
        gwC94Q7FryX6201dqm6ci2RjRifLiyXvyEwM8euXIz9bZa7hUU6GsuwywuSoTPgP
        h1gRZR7yugEzBxrF08EBzZ2NvxwooUiuU1xcF055AoGAK004RvhHTu61i+eFP2xe
        8p4o2RzmQGctfit9bC827+9+INeLjvougJm3+c/L3cPnVCSpV4Nb8Qn1L3Lm46c8
        uSOcalyd70MtPPJHMAK9FR0LBbAcmlQF1JwsSo+VufOZUwr0srWVv89ScIRAiJvT
        97OBC/Lu25zwguDM4nipJeQ=
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC1Y2/a+oSSusG3
        y8ry1avzmunNKKYIlOPnRpOPUp8xz4tgFT2AzZGhqbhXDHGFKwGWCXO6tQlElSFy
        aZxl8JYf0C83WorZfwwFY0NF2VSNzxnzCvmh8kLojIdHoanZoIRjkFMGDmw4hDXs
        EIaOuzeJSav+RLFBnOR/EvCe9k9o8p9BFAvLnW4s3py6v0J96WUQITPiU8WOG9Ry
        UdfMAgu3Ea7bXdxOvhuOmUGw39n8VHrRib2+OW2ZdEOE+FNfcfGEBPplJwaI7nG4
        RKjLNBleU3W9TDtvxNW6QZnPpXilwo4MNimxGD9u9PC/z6M5VKxK9cmRmRUoO6ok
        EvgK+QaJAgMBAAECggEAFmDhvHT65TVoT/ozHDmTYNckcDzLGzTvVynEa8LIRDd0
        XRLRxzHVfUn4pbixyrmvFOkun4LVVWJGwZxZANSpWNxw7tXbWpELlSCVfKke/u3l
        qDAa80l1ysYHrKU71M8ydiwoqg8ed+yL0IeLalGbvPLbZt/ntI4cPLdD+4Cs9GgB
        Qy35t5lNDfLM50A+hMLV3xTx4QsNWHExgWTO3BdCGmA+J8ctqdpCwGqGD8BJJgAC
        FvYi9SGgYvOoY8W5tvCMop6PWJTtRMcmoJbOHN8z/oWKixoInOoyRxWqUxXkhrtA
        1HkDx5HQ4Zil1G7XtdQTzo6quhDJN9y58l7sXYe9rwKBgQDnMk6EAz4LgvAp1ryN
        n1SZqtym1XG8urx85jTdgTdM7SwuNlY/ee5WDkGqlwf28WBBnPmI0oq9FqWn4lJb
        jYAkTjrQ+/NL23GBnIGqJ5+TkJU2y+31PiC5JMNZsRtTnPOaaxfsKQisPf91WtB+
        pOWOoeggahPS0zztlQ5ZWRJsXwKBgQDI2S1B0vJu1G0JYG+hOSdmQVJjamndyCm5
        hXxp4wBfuGyV99SDO12w/q3aX4kNeeQvGzH37o+Y45BFcFWYbyryzY2wbWuVxQPh
        +tHmokWkWZtynC4kSTQOGw87XLNJD7e1yX3Zty+mVV5tQUrvrwVMZ4va3yA3yLRG
        RI3VeJL2FwKBgAhyBAA6hhexjshYecbKnTKH1Uua3G7Ce4QsfJ3izHxY5ZZCkd/7
        ukMWfjuXDMlug8+hxlPDLSI/I4oAcHW7s4Sf/vIHYhnRSFItv2bRz7h6PZkk1epx
        fIyG1UP/fjoNr7BiXRtZXGG+WgiVaqxVpbUSIQKeHV9ELCOZoE6PPGcNAoGBAKsY
        v0IExrt9QMmtGktYmeS1Hs9L9pWVD15YhYzacRYZ0H7M2X9V0lGWE1ok6mbNgIJU
        g3O3CSLwMJXGxVQO16JxUxOJkw3KAK3AcpEriXIhV5gBzhjhN3QQvyANrzk9J324
        APq33+KtdLxT09ds3HGi//PbAeIjmtcFTWIdzevPAoGAEHPCX8BNgU6smjLqbUhn
        HROCGeAakCxdTYVzMWEFzkTOJ8c5N0NbTF80ygpZ/v8QjP82zUL/cWNC8ZhePu7j
        ySopCaGMaKgX+jpxM9Jxqb/TuvSDN1S5cDZMCHxFhsKmykZC6ENUHmnvbS/tSFzH
        kUxWY92nRLiuAh9FYmnGptA=
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDJR+4617ySIgbU
        C4zNQx8BL5LNdQf7sC6mLXrZfnchh8/lHf2bneVFkJqkATVWTnkwDkjXbBlxsBHH
        OJd6q9B8eyCr1pZxGqbw0TyvWzr3YtS+2eAipr5tkbfGczcyDkWAYhPyHePC8CfL
        p6bi4tiSCLYBHu8XMkUk419lJysMD1cNrEqrXmoirEO6xfryd85/ROuPQmZiFp+R
        rxQhUPjTKEevbb79zzlInDgSbf0eCuzsUF4l699K9wArDF1EIYGTeV6n6SjK3TPq
        Qn4LHShDreV7l28rrKsuq+9ZnQ8naiXTEfNBjg9gZS3cI7/yF8EaPDQWmTkWJCQV
        4VoCncSHAgMBAAECggEAWeSDE8qH0CfcLtVds8pXTXtGr/WldBWSL+s942ako9f4
        1BWZzucsnu3e8oILpRj07K5kf7kqf+ind/bhSAr12LJQvA3hMHA7wG9iD9rJsfR0
        mSvK+w7HGz4p+jo4m2VeSuECkW4h60zAKScd1FSFbmrvhf6fvxdXZAsb7pwYkJB5
        4YIiO6LMxDCeozXQ9eO8lrVS3rY7aCAgFGHmciJc+J1DdwoPI0Hacg4ZO5/5H2Xr
        /oNOauEaYPLdwk+Lfa5dtuHdMrfM1Yk9aibF+y0p+RZMy0Q68pb1wtPfltH0Biup
        rS7FZCFLCZsQeNvx06+78mugj5J63iuMDjG37o6+IQKBgQD1/8EOYrjvsubkLIIE
        7OR7LNx6H1tpqo8+b8ehVHT5T5UuRaf63U44gH8Wy40d5vKsY9n9C7Zk66gDWqwn
        7VjgO6gNutxlgeLYVaMgD2cE9Mk1kKFZQnMOf5zSyMPvBe0SEIJtRXtOvmZOiW9g
        MwqCSOUfkIx05mBYMCZrixr7dwKBgQDRdsVxvn7wGBEguQFj5/QycKmpDjZVf8G7
        5hHci2lL0XfunTbvWWQUxKU7Jru+1SSODs4rB7kcIzWiVs5hZJY9C5ZUTkaFBCAO
        LgQmv/RVKSihdHkLXUhWh8XtJSyuh+CYf2ANJP3vN6EKKfOCOCQ5vBTMuOSFIu4e
        XHlbtSijcQKBgQDR6IRhtBe+YVfnx5rCfSmReXxAsNUd2y4Txun/XcPaoO/Y5hMq
        WwDN8ceAOfyWUWUteJ6f8AiZIQTip9JS15KI9B64aIR8EVLx6lEhoEL11bKDhIBJ
        XAw1iOrWaf3WzaW3TmMcvrczQACob1mcKrGC7pSkVIGllpcLaTq/dZl2jQKBgGor
        K1TF241ShYvyefPro+jVFgmsPHoFsWrN6IvC1fIqEAIQCcIzqvij26Qps8u8OTUP
        6AwDdB4A8rSAD0dqNoRmlSHSMwhE2QKW7F+/t9ZacE+1u4y5EWtakkXrK8Si9oIV
        PdgrwdI4fhWqwdRlJGdnH5vMs3eQBuW4tYJ4RkrhAoGBAI5pATHrKW8XF4pSw2HY
        CaAbZ38PP2GInDb69LzWhWKM9VCG8TP4qNAdAsLDWEMMi2oU5ubmENQx8JTK4XFR
        817Waqe8kK3q448y36rIufh6T4DDLjl+n4hKXwIwd1zC78gBGktjnCd9Jp5mq+Zs
        r+r+WBAvFT0KnxPCmApyT/UT
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCPmkaXQUSSWLNI
        PH6COZD6ycUohoB8iMTu0jpx+fOIEPnVCHOr152cpNC4JGpdYUVwxt/Yc4YSTA+p
        PgGr4kcz7b5pD/p/5nnDYgAsLXMyXw9l8tGqvU30jokDdVOMCQIXA26//gFZzpZl
        0kbA3X5dUo+HUSKfYJ7sWCmLzjLXIeCfnpqfgoSG13x4Hu05tFj64EWlarAR9MRH
        SD5Z7jTSj2matBTRxj3zlKj17Hf+Ul+Uq70DgZPhh6BgyOcNo40D07WRBNiNyk4W
        snZeIgrIN4dfugoxhy9dvvhiNTM/DdKrqLDxyeHddmWP+hnxEA6VVTYNCvU3197X
        SFt2c/zZAgMBAAECggEABm/CUT5GLg8WvhqkCv88jdkkYqwgrzRMK24122z6KvOj
        1xYhZSbtdBt5FX/gWp4lCCiJ2QBYlpJdM1dJqOQkD+JMohXqwvfYJldKrbA91Rio
        roejOTVx/I+0+Xg1TfYLZ2+qc6WVduqJGDhEHpnu84zjTQvoct9YUDylZBRSeA0F
        /K6EDB24vZBzg2yKL2/jnvi5G/PZf9MHO1qw28YaiE8UJ3dByo9arWyUGrNSVk8o
        KZLEp8xc4IuZmgGAzoVnidOlH+3s5fgRwqDzLCBJI5yvni/5kcfvl0GX48/qvwoD
        mcWxFzloF4U44jbG4MyOjtt2zi/X2LPB9zvodFourwKBgQDED8LD6I99u/Bw/EBT
        /WhnDxNpbb6ucsDLwy3I9zx+Tz3PdQ/TeP8zeI8ZAZwS2iW92YNJyDo65ULsDytZ
        aLCR3f6Q5rVjQKVJdY1t/si9z1GUo2jfuB/vJ5MDi7mlCmf+OlbBFloRNBSJSuBU
        zgvS63UPm/aKNeQmjcUbZOFOjwKBgQC7gPS+TSuvkz3AVCsmPpmAo73dEtrli3Yc
        pkXAxb4Ej/0+xHpx55oYUB9EzsJh8u+K9xQ2LY0YVDQiHgOe/B+Nc2EQqHnT3f0r
        ySCxTdXmiZ/RG26ZkRt8ai7+brSAkheiWcOtoZ0a4BWdDIbqhF4Yl/bs6Qb+gNTx
        EL8EnEIyFwKBgE4osk4DEeDf4TRJeyOAa/RZsDVhSJimqnEQd9obpYP89vkTA6Ic
        JDBSqUkguSVSzaTnZ00sgvojlxAf4/oan/kmdGszbbAJf1rPf/gPj9sLIMyOcCpv
        bluafSL2uqUuhtJ0U01aKcGd72nj7ZYhJdmJf/sfA6OJZFByR9dp2d/FAoGACMB9
        LADIIDrcMAT9upxDZ/i8nPwLUZmP2sh8CwJv2yCpbmuXV4e67pWW0AxikFXZjn/3
        5ot7wX30rP7/pkUYZ+7RwghLH3OGJKwPpZb/e/JCjm0cXXijcsw2A1RBgprPFZnh
        A1K+1YlOGPWDuqCRD87QDMDXvbtftRzV/a4ZfOMCgYAdl5c9GP0MSOCYCu1PBzkp
        DlSVZF0PFTGWijBrsViAQlC07B+6gVqQi4NrziPvLB3C36pNDry/7aQbUOgHq7by
        MKSzWxBhKQzJ8skgXNEP+A/94TLZn2eSQI6si97gjFKbVyOd5FsNb5H6kPG/jIM9
        BHMG/KShHtdo8NJHsoZ6nQ==
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC9E3tnOzAfKmX3
        brpMvtdWE2HBtrK1+42Ia23HjLCklkrVAiJys6iqlLjP5UITxPhZWR+q9MyKpflL
        T8Zb5j6Lardf9xXoVHVKxWFarkbG4xZ90O6RfPVmoj9fo9yofCb+6RNqE+QSsHYl
        QCfOARXJ4WpOm0uyFAoe1fvW/bpeLfxscEfh0GJ3X4yLpfVQHwi3Sv6jiO3Wvqwa
        IAbQ5azN9rTzGG6g90iCS96KwFuaYwPPi6dLctwJbPXTEUTrjPEYTrn+Iyf4bIbW
        KqulBbnMXxSaIe7uFCf+8oFrJEMbiAPU3dRWJaqUw/6D9SxgC6Io4M9rMx90wa0B
        goN5OAmlAgMBAAECggEAExTiQVrR0nNe8wezuYcRCFjQZtJfWspWUEw3OgpS0Wlx
        h+m9PEIxZXW46RJEBua8AZhi/8fQ1LVHYXhdlmy4Jy3P79lp1pafd7pPxu0Lq4rD
        fFMXoIsx4PfC2Y4Z+M7+yH8RPIVhYRl58ux0l++4GTWsmt5FV2V6V/5UejAFHPfu
        YZ2EQhB15c/y7hzUllw7Zc+58uWl01bOlXiD/puoB79e06wyNWqXYMRADpnV8fWp
        gznFtLcKiQNXPW42uB8/QpWW2mIPFJyMFEP8KX7w+GfvXVrfN3e67wk27E5Dq1w4
        hOALTujGinwTWOlRgR9uUsr4DDh2KPwf3ujzygnwCQKBgQD4wV6qBRzAM7j5lvL8
        NMs5K+2bf8K84GtYMNrBJx0OhBzQ7IjoTIjpZE8Wv+HUdiiAvNJlZ1phRG+gvg59
        jTUrsFqDHgmYs4gh+7IAGcJZxaMRB4a/Z/hN1R+lE1R4s+DWGwblZudvk4j/fKGd
        ETMQGym06XMzJUorW9wkNCcOLwKBgQDClSpQ2pVx3xlYvW/AtH492qsKUxaYCURQ
        G3fXsgC3jDdN4l6uwO5hJ5nRDIS1mKu1R2QlYnrSPhDoXcyB6tibnEBU6YI9psE4
        7foCHDZaF0P1H8uzV7PfeaEWMCGJx+E98KAKnGjT/6iKQPjlEBs+SR4HQ0JE99Nw
        MH6OOGGkawKBgAbyL1iECAd96j5d7q8IMlyIU3wyFxf7FEREKPeXxgHvwnY7BJ+n
        83LA8ExsUzwBiKP/ochfGHD63jsY04LB/KgZpo1eu1neOYDpbFEAZyLml+UT1rll
        h9N0jgun/IXaT/7qhkjFlNTSw9KOglzGbCyY9ZMtqZ/V/Lo1OHJyWlzVAoGBALHF
        nAKAoVaGsF6NvCLABDI4rFljbdn7ZWkWn1f17YfD1+cVMNHRvDgQ+QuvtzM9x2p4
        TfuFzJZ2U/YndCchy0Hn8DJjoDT5O8DqUqZI5jNK3DCAGxe/wbsjIVPnJ0z8y0FO
        rLjlCzTcdzvQflSwcWNnY8LY5Rujm439EDKZOkP/AoGBAKJ0Cs3E27aWcJhbXKdA
        T7O9thP6AMsc7k5bTN69oFlZxeRTMz9QYxZggdDeebTVjnaMZVQx1k34cvpm0qoW
        X69Bc92QoTjeS/ziDhIlzJbqFa0dl6f7/UfRVcoGqS0/3zs8XD3LHBoODB8E22Tu
        /+tx7A3VC0wmQBxF9+cYKZ2K
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCz5/LGoYt/UfCh
        ozxQ+bbXvFCrNZacBmkxGt+6B6YZMxlnSl4kk4m3bfj4csHnZnRdaGsozAmV7V/m
        Dc6oxemOljPuuLxIJoeIJKuYFzfitL4627mWhiMhoJcK2xxTKqHOckIqLAVNLd4Q
        1d3v+CFJHnHI9M+VtWHqFsaLTd8n+0AYzwKTtNFBJp2fpmtfEwLDInCOJ2Iy+f1J
        29Ih+whwyp9mWIw73PAwakuU6EqJf8rQwLvfnbhN/sFsiAfzkZARRwkweZEEdGZH
        T0+8fsFIL46Mhzy1wVvXFNF54Zow8FtB8NPposZMDyLMycC+E27E+KcH8BEcoAKd
        qmVwYEmXAgMBAAECggEAB+IOUZp7L1KwKupT1pnVONzH4silVyQyGx8PVepx4mwf
        x9aKtirqKj8dCAiXQIQibdledgTYGAQKY1062fWvceUDqjPZZDFJV7OA+q1scHhK
        Vu/me5cDFmfKq9oarUuSmCY031OFzpzyPGXypJ+IbdjHVEPjOK8gTDk/7T4LR4gj
        BZB2gCs+GRIlQISOhgobUo/sUaok7kRRaEmwSidOj1fmoApSn2J1vIdqr9/K0oGO
        t6OIyu6o/Lxz6ZCzfgmEzdwVTqgXkLfdlJwaaOu6gZSw3yQ2tu3LURLYP2vvrsHm
        iPyIuPgLOqJ4zmSsF1pLK5+2vTHbh1bcUWU/Iwf4MQKBgQDidig7SawagcD9oRLa
        sHPWvDOHEDioC8Kpj8KP3P1N+N3K1Ze6Xe5/YJkzInl6+6S9/BznnIcXNx0F4tM5
        SyKZoF+EvM8Oh8DATUSlLtOgp+b1qIwYLO2evPmnTsw2BsQ30d5kM4M5stKd1G36
        IKkc72xNtuL82LMzQ8QkEOWwCQKBgQDLXz40FMbet4fE5sqQqJ9ZBC1xvrsO3Y8E
        ZEV70CA5Wwe5zALCUnBgUhOM0S7UlEUlCAaJIQ2pjX86GFiQmvimNHFxP787PvlG
        banhdziJI1dxxSDskTiSUsJnvrlaS/dtM7akHVisuFh4406Rkf/68/zCqqZgf3/2
        Z4SuZ41UnwKBgQCqmMwx7Yvi5ABYkHC9odOB3oEKrCOiJEneplexPI7toB6k4EbO
        tFgoSMLgDIZrKQqvvC6iI/54dKI+fuMT9A/6nx+VxQ5OKeIAe7TMovv1uMZ6JSB0
        TdQrkryXVvrrcCl8y3K3FT8zxgx3rUGz/cqn640w9icExtIoOlKVwMzm0QKBgAmh
        2TBeS40A5E1PIQj485Mjv4NDpVhu5fcvSJs0oFIXHaaPIxJRFUF6obJpte4bl6rJ
        VoXoKt189imqPYebz2sP0M+sVUJZGTVcvE8RdnwIUHvy+jw6JJPJl6uSPPUp4+4o
        JN5hBXIoyQfwvCfo4lbgd3hA3OB1KXpiLMaV4PvBAoGBAIc39ZvNV67tVSP5O/E6
        yok1GP8j6xzUE8KV8XU/Qnlpa7FD/HE13sDKB45taeAMapNXa051Ozaafzo79+sk
        dqmF2UrTTDsy72ePPcPbO2oZ568fdOXWfp1qa+jYNCkhxtZyQlDeK7/IEOlRIvOw
        PPArF2ZrpVm0z1T8tSD+A7H7
        -----END PRIVATE KEY-----
        """,
        """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDHgLT60G6qsTGo
        yu8Kwq3Hf8xmdHPwqeJ8anyNXDl97+YN31B6jBC0AFKj+cnJuorf4DTLEhAagbOL
        XxeE1LpnrUDn5BjS9zM7EdB6IDw4dKE2ZqPQAUKn9xFrSTZ8lKwNqzvCJqIFMvBM
        NEqdz5emAzttrIWG7sGWA9F/kOpE/3XD6YjA/RV6whVYhE75C8S0oSQ7AVlTrpDx
        ruBpGTURyg5n2YerLKI9jpCvTfWqUowclqVJjkHkFbO/FuWN1uViPgPz1ujHSn+a
        GdkFfbYY50XSGRu9v4MGhlvywRlw4wHHZJxsslPDDCKdxGG12Wtud+6jYrXV/76F
        Asmi3Be3AgMBAAECggEAVo4bNwRON0VIX8ynuFntTnQ+aKcWlDAIoOUMY8JC+UYn
        YBZmkryJFKddM2JQr3J9BRN/pCkSjoV+MbYQfKNUul17HwCh2onAktywQAQTTIUh
        WnpekQSy+C+jwZHSj2trWETV2O6s9ad7hPxc8SnbR/33/yXOCtQ0bhL7BicH1OXi
        fqOR3aNYQnoF+MsK+wsxLAoLQ/3GMAqf5VyKKwAFnfGUKJxsDeEYFKuJ9fam0Tt7
        vhb01GySuONuJqrLUXYfBddXTrlXn3nl7Y4OthuLsuzzSQcAonNWz2qHpb/inriS
        O4+l9Nj3aNw6DBOWuQwiCrwwlz3oBRLudzJA+sdp7QKBgQDmPNpfE4Qyw45y4sRf
        C5IHljW5Tcbv5MBtJidgxozSHrHHsVieCrRCTApcw2i4z3DmAc9ujnSuEIk0CLyp
        WjPFiOGh5tg6FEypaV6mtEFmUWsKf9O563/pvC9c29NoXbZxRSGMgQVDELprrONO
        0umJoli4+Ef889+DCWK5SP6hewKBgQDd03P6oxygxp9A5B00xZfYKcQ6x8OvoWfE
        p9J3NRUidB4BiZ7dmsBuC4NJrH8eLmY9FBrVjZRLGML3CMsOxb3QuPMaqoy0VkTp
        MCaQobJ+K3sdB4fabXfomqb0pJ2e3UuuTfrb1xFbZA9S6zE5c5si2BS3uVo2V533
        Iu9FMASX9QKBgQCm47tiqZHs/iW2jzvKrWdnynEc5gzq/USimcJ3etS+xnMVji7v
        OFEbsWTdguPY+r0abHuA5xAa0G+z4RVoKLNYX3U2V0+rIeXD81Yhvo2dbi0KCkhd
        /x/UPI2UYN/oSe2iQ3sjDq7Sw0BuJn8KNwYDt0NaqNX9vITqxhXius+gGwKBgQC+
        hGDlD/iDgXO/yOvoqhhbGKwni/DexDKabUTPC3FGcRJgYbFnRQUmvo6Y1SUsZ895
        f+34IiwOP4sbnpq/6ke3n1F0QqysKjfvS2Kj76ycvn1zlkcw67oDtefU0BlsG0Zn
        wyPEcre+lXav0b4qSMciKxHIJdJ8P841NvTnqHEZjQKBgHW8y9ctiXBs0slUxVSv
        6MbTkXFz9RUpb/7UEpwS7+A0uT+OtjUJZ2mbxG2tCRtUDHd0U8F/7r3/oRazNFg0
        LEcwf+Nuy2e3ZXRinZED719qIz9eKFJQfXzn3EaWqbv2m7irUzgex2sZd1pSnhD1
        8rj1nOZbujRWjh1pQhD+knyM
        -----END PRIVATE KEY-----
        """,
    ]
}

extension KeyPool {
    /// Slots a tenant takes from the pool.
    public enum Slot: Int, Sendable {
        case orgServer = 0
        case defaultServer, serviceApp, tlsCA, tlsServer, stray
    }

    /// A deterministic permutation of the pool for `seed`: distinct keys per slot, same seed same keys.
    static func order(seed: UInt64) -> [Int] {
        var g = SeededGenerator.stream(seed: seed, purpose: "keypool")
        var idx = Array(0..<pems.count)
        for i in stride(from: idx.count - 1, to: 0, by: -1) {
            let j = Int(g.next() % UInt64(i + 1))
            idx.swapAt(i, j)
        }
        return idx
    }

    public static func key(seed: UInt64, slot: Slot) throws -> RSAKey {
        try RSAKey(pem: pems[order(seed: seed)[slot.rawValue]])
    }
}
